// Scratch: directories taken from spares made ahead, discarded ones leave at
// once and are removed in the background; what an earlier process left is
// used or removed by the next one.
#include "isolation/scratch.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "isolation/launch_plan.hpp"

namespace dcos::isolation {
namespace {

namespace fs = std::filesystem;

class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcos-scratch-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // What a task leaves: files and directories in upper/.
  void write_into(const std::string& scratch) {
    fs::create_directories(scratch + "/upper/etc/deep");
    std::ofstream(scratch + "/upper/etc/file") << "x";
    std::ofstream(scratch + "/upper/etc/deep/file") << "y";
  }

  std::size_t entries(const fs::path& dir) {
    std::error_code error;
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir, error), fs::directory_iterator()));
  }

  fs::path dir_;
};

// Read-only roots share one tree of empty mount points, made where it is
// missing, which recovery leaves alone.
TEST_F(ScratchTest, TheMountPointTreeIsMadeWhereMissingAndIsOwn) {
  Scratch scratch(dir_);
  auto tree = scratch.mount_points();
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(*tree, (dir_ / ".mount-points").string());
  for (const char* dir : kRootMountPoints) EXPECT_TRUE(fs::is_directory(*tree + dir)) << dir;
  EXPECT_EQ(std::distance(fs::recursive_directory_iterator(*tree), {}), std::ssize(kRootMountPoints));
  EXPECT_EQ(scratch.mount_points().value(), *tree);
  fs::remove_all(*tree);
  EXPECT_EQ(scratch.mount_points().value(), *tree);
  EXPECT_TRUE(fs::is_directory(*tree + kSandboxInRootfs)) << "made again";
  EXPECT_TRUE(Scratch::is_own(".mount-points"));
}

TEST_F(ScratchTest, TakeGivesEmptyUpperAndWork) {
  Scratch scratch(dir_);
  auto taken = scratch.take("c1");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(*taken, (dir_ / "c1").string());
  EXPECT_TRUE(fs::is_empty(*taken + "/work"));
  EXPECT_TRUE(fs::is_empty(*taken + "/upper"));
  scratch.drain();
  EXPECT_EQ(entries(dir_ / ".spare"), Scratch::kSpares) << "spares are made ahead";
  auto again = scratch.take("c1");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find(dir_ / "c1"), std::string::npos) << again.error().message;
  EXPECT_TRUE(scratch.take("c2"));
}

TEST_F(ScratchTest, ADiscardedDirectoryLeavesAtOnceAndIsRemovedLater) {
  Scratch scratch(dir_);
  const std::string taken = scratch.take("c1").value();
  write_into(taken);
  ASSERT_TRUE(scratch.discard("c1"));
  EXPECT_FALSE(fs::exists(taken));
  scratch.drain();
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
  EXPECT_TRUE(scratch.discard("never-taken")) << "nothing there is not an error";
}

TEST_F(ScratchTest, MoreDiscardsThanTheBoundAllEndRemoved) {
  {
    Scratch scratch(dir_);
    for (std::size_t i = 0; i < Scratch::kMaxDiscarded + 10; ++i) {
      const std::string taken = scratch.take("same").value();
      write_into(taken);
      ASSERT_TRUE(scratch.discard("same"));
      ASSERT_FALSE(fs::exists(taken));
    }
  }  // the destructor finishes the removals
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
}

TEST_F(ScratchTest, WhatAnEarlierProcessLeftIsUsedOrRemoved) {
  fs::create_directories(dir_ / ".trash" / "old.0" / "upper");
  fs::create_directories(dir_ / ".spare" / "making-1-0" / "upper");
  fs::create_directories(dir_ / ".spare" / "ready-1-1" / "upper");
  fs::create_directories(dir_ / ".spare" / "ready-1-1" / "work");
  Scratch scratch(dir_);
  EXPECT_TRUE(Scratch::is_own(".spare") && Scratch::is_own(".trash") && !Scratch::is_own("c1"));
  auto taken = scratch.take("c1");
  ASSERT_TRUE(taken);
  EXPECT_TRUE(fs::is_directory(*taken + "/work")) << "the ready spare is used";
  scratch.drain();
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
  EXPECT_FALSE(fs::exists(dir_ / ".spare" / "making-1-0")) << "a half-made spare is removed";
}

TEST_F(ScratchTest, AMoveThatCannotHappenIsAnErrorNamingThePath) {
  // The scratch directory is a file: nothing can be made in it.
  std::ofstream(dir_ / "file") << "";
  Scratch scratch((dir_ / "file").string());
  auto taken = scratch.take("c1");
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message.find(dir_ / "file"), std::string::npos) << taken.error().message;
}

}  // namespace
}  // namespace dcos::isolation

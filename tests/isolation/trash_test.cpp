// Trash: discarded directories leave at once and are removed in the
// background; leftovers of an earlier process are removed by the next one.
#include "isolation/trash.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace dcos::isolation {
namespace {

namespace fs = std::filesystem;

class TrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcos-trash-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A directory with files and a subdirectory, as an overlay's upper is.
  std::string make_tree(const std::string& name) {
    const fs::path root = dir_ / name;
    fs::create_directories(root / "etc" / "deep");
    std::ofstream(root / "etc" / "file") << "x";
    std::ofstream(root / "etc" / "deep" / "file") << "y";
    return root;
  }

  std::size_t entries(const fs::path& dir) {
    std::error_code error;
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir, error), fs::directory_iterator()));
  }

  fs::path dir_;
};

TEST_F(TrashTest, ADiscardedDirectoryLeavesAtOnceAndIsRemovedLater) {
  Trash trash((dir_ / ".trash").string());
  const std::string tree = make_tree("c1");
  ASSERT_TRUE(trash.discard(tree));
  EXPECT_FALSE(fs::exists(tree));
  trash.drain();
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
}

TEST_F(TrashTest, AMissingPathIsNotAnError) {
  Trash trash((dir_ / ".trash").string());
  EXPECT_TRUE(trash.discard((dir_ / "never-made").string()));
  trash.drain();
}

TEST_F(TrashTest, TheSameNameTwiceAndMoreThanTheBoundAllEndRemoved) {
  {
    Trash trash((dir_ / ".trash").string());
    for (std::size_t i = 0; i < Trash::kMaxPending + 10; ++i) {
      const std::string tree = make_tree("same");
      ASSERT_TRUE(trash.discard(tree));
      ASSERT_FALSE(fs::exists(tree));
    }
  }  // the destructor finishes what waits
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
}

TEST_F(TrashTest, LeftoversOfAnEarlierProcessAreRemovedByTheNext) {
  fs::create_directories(dir_ / ".trash");
  fs::rename(make_tree("left"), dir_ / ".trash" / "left.0");
  Trash trash((dir_ / ".trash").string());
  trash.drain();
  EXPECT_EQ(entries(dir_ / ".trash"), 0u);
}

TEST_F(TrashTest, AMoveThatCannotHappenIsAnErrorNamingBoth) {
  // The trash directory's parent is a file: the rename cannot land.
  std::ofstream(dir_ / "file") << "";
  Trash trash((dir_ / "file" / ".trash").string());
  const std::string tree = make_tree("c2");
  auto discarded = trash.discard(tree);
  ASSERT_FALSE(discarded);
  EXPECT_NE(discarded.error().message.find(dir_ / "file"), std::string::npos) << discarded.error().message;
  EXPECT_TRUE(fs::exists(tree));
}

}  // namespace
}  // namespace dcos::isolation

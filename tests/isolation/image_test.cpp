// Root file systems from tarballs: unpacked once, entries that would leave
// the tree refused, device nodes left out, abandoned unpacks cleaned up.
#include "isolation/image.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "isolation/launch_plan.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::isolation {
namespace {

class ImageTest : public ::testing::Test {
 protected:
  // A tarball of a tree holding one file, made with tar(1).
  std::string tarball(const std::string& name, const std::string& extra_tar_args = "") {
    const std::string tree = dir_.path() + "/tree-" + name;
    std::filesystem::create_directories(tree + "/etc");
    std::ofstream(tree + "/etc/hello") << "hello\n";
    const std::string path = dir_.path() + "/" + name + ".tar.gz";
    const std::string command = "tar -C " + tree + " -czf " + path + " " + extra_tar_args + " . 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return path;
  }
  std::string cache() const { return dir_.path() + "/cache"; }
  dcos::testing::TempDir dir_;
};

TEST_F(ImageTest, ADirectoryIsUsedAsItIs) {
  auto rootfs = prepare_rootfs(dir_.path(), cache());
  ASSERT_TRUE(rootfs) << rootfs.error().message;
  EXPECT_EQ(*rootfs, dir_.path());
}

TEST_F(ImageTest, ATarballIsUnpackedOnceIntoTheCache) {
  const std::string image = tarball("a");
  auto first = prepare_rootfs(image, cache());
  ASSERT_TRUE(first) << first.error().message;
  std::ifstream hello(*first + "/etc/hello");
  std::string line;
  std::getline(hello, line);
  EXPECT_EQ(line, "hello");
  auto second = prepare_rootfs(image, cache());
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);
}

// The unpacked tree gets the directories containers are mounted on (so a
// read-only root needs no overlay), never through a link of the image's.
TEST_F(ImageTest, AnUnpackedTreeGetsTheMountPointsItLacks) {
  auto rootfs = prepare_rootfs(tarball("points"), cache());
  ASSERT_TRUE(rootfs) << rootfs.error().message;
  for (const char* dir : kRootMountPoints) EXPECT_TRUE(std::filesystem::is_directory(*rootfs + dir)) << dir;

  const std::string tree = dir_.path() + "/tree-linked";
  std::filesystem::create_directories(tree);
  std::filesystem::create_directories(dir_.path() + "/outside");
  std::filesystem::create_directory_symlink(dir_.path() + "/outside", tree + "/mnt");
  const std::string image = dir_.path() + "/linked.tar";
  ASSERT_EQ(std::system(("tar -C " + tree + " -cf " + image + " .").c_str()), 0);
  auto linked = prepare_rootfs(image, cache());
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_TRUE(std::filesystem::is_symlink(*linked + "/mnt"));
  EXPECT_TRUE(std::filesystem::is_directory(*linked + "/proc"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/outside")) << "made through the image's link";
}

TEST_F(ImageTest, MissingOrBadImagesAreNamedErrors) {
  EXPECT_EQ(prepare_rootfs("/nonexistent.tar", cache()).error().message,
            "image '/nonexistent.tar': No such file or directory");
  const std::string garbage = dir_.path() + "/garbage.tar";
  std::ofstream(garbage) << "not a tarball at all";
  auto bad = prepare_rootfs(garbage, cache());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("image '" + garbage + "': ", 0), 0u) << bad.error().message;
  // Nothing half-unpacked stays in the cache.
  for (const auto& entry : std::filesystem::directory_iterator(cache())) ADD_FAILURE() << entry.path();
}

TEST_F(ImageTest, EntriesOutsideTheTreeAreRefused) {
  const std::string tree = dir_.path() + "/evil";
  std::filesystem::create_directories(tree);
  std::ofstream(tree + "/x") << "x";
  const std::string image = dir_.path() + "/evil.tar";
  // --transform puts the entry at ../escaped.
  const std::string command = "tar -C " + tree + " -cf " + image + " --transform='s,^x$,../escaped,' x";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto rootfs = prepare_rootfs(image, cache());
  ASSERT_FALSE(rootfs);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/escaped"));
}

TEST_F(ImageTest, AnAbandonedUnpackIsRemovedBeforeTheNext) {
  const std::string image = tarball("b");
  auto rootfs = prepare_rootfs(image, cache());
  ASSERT_TRUE(rootfs);
  // A process that is gone, as if killed half-way through an unpack.
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::string abandoned = *rootfs + ".partial." + std::to_string(gone) + ".0";
  std::filesystem::create_directories(abandoned + "/etc");
  std::filesystem::remove_all(*rootfs);
  ASSERT_TRUE(prepare_rootfs(image, cache()));
  EXPECT_FALSE(std::filesystem::exists(abandoned));
}

}  // namespace
}  // namespace dcos::isolation

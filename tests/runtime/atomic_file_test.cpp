#include "runtime/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dcos {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A known umask makes the expected modes exact whatever the caller's is.
    saved_umask_ = ::umask(022);
    char pattern[] = "/tmp/atomic-file-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    ::umask(saved_umask_);
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    return names;
  }

  static mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
    return st.st_mode & 07777;
  }

  static bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  std::string dir_;
  mode_t saved_umask_ = 0;
};

TEST_F(AtomicFileTest, RoundTrip) {
  std::string path = dir_ + "/registry";
  ASSERT_TRUE(write_file_atomically(path, "hello\nworld\n").ok());
  auto read = read_file(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, "hello\nworld\n");
}

TEST_F(AtomicFileTest, RoundTripsEmptyAndBinaryContent) {
  std::string path = dir_ + "/blob";
  ASSERT_TRUE(write_file_atomically(path, "").ok());
  auto empty = read_file(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");

  std::string binary("a\0b\xff\0", 5);
  ASSERT_TRUE(write_file_atomically(path, binary).ok());
  auto read = read_file(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, binary);
}

TEST_F(AtomicFileTest, RoundTripsLargeContent) {
  // Larger than any single read buffer, and not a power of two.
  std::string content;
  for (int i = 0; content.size() < 5 * 1024 * 1024 + 17; ++i) content += std::to_string(i) + ',';
  std::string path = dir_ + "/large";
  ASSERT_TRUE(write_file_atomically(path, content).ok());
  auto read = read_file(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), content.size());
  EXPECT_TRUE(*read == content);
}

TEST_F(AtomicFileTest, ReadsFilesThatReportNoSize) {
  // /proc files have st_size 0; the whole content must still come back.
  auto read = read_file("/proc/self/status");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_NE(read->find("\nPid:\t" + std::to_string(::getpid()) + "\n"), std::string::npos) << *read;
  EXPECT_NE(read->find("\nVmPeak:"), std::string::npos);
}

TEST_F(AtomicFileTest, AppliesModeThroughUmask) {
  std::string path = dir_ + "/secret";
  ASSERT_TRUE(write_file_atomically(path, "x", 0640).ok());
  EXPECT_EQ(mode_of(path), 0640u);
  ::umask(077);
  ASSERT_TRUE(write_file_atomically(path, "y", 0644).ok());
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(AtomicFileTest, OverwriteReplacesContentAndKeepsMode) {
  std::string path = dir_ + "/registry";
  ASSERT_TRUE(write_file_atomically(path, "first version", 0600).ok());
  ASSERT_TRUE(write_file_atomically(path, "second", 0600).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  auto read = read_file(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "second");
}

TEST_F(AtomicFileTest, OverwriteGivesTheRequestedModeNotTheOldOne) {
  std::string path = dir_ + "/registry";
  ASSERT_TRUE(write_file_atomically(path, "old", 0600).ok());
  ASSERT_TRUE(write_file_atomically(path, "new").ok());
  EXPECT_EQ(mode_of(path), 0644u);
}

TEST_F(AtomicFileTest, LeavesNoTemporaryFileBehind) {
  std::string path = dir_ + "/registry";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(write_file_atomically(path, std::to_string(i)).ok());
  EXPECT_EQ(entries(), std::vector<std::string>{"registry"});
}

TEST_F(AtomicFileTest, ReplacingADirectoryFailsAndRemovesTheTemporaryFile) {
  // rename(2) of a file over a directory fails after the temporary file was
  // written: the failure path must clean up and name both paths.
  std::string path = dir_ + "/taken";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  auto result = write_file_atomically(path, "content");
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("rename '" + path + ".tmp.", 0), 0u) << message;
  EXPECT_NE(message.find("' to '" + path + "': " + std::strerror(EISDIR)), std::string::npos) << message;
  EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
  EXPECT_TRUE(is_directory(path));
}

TEST_F(AtomicFileTest, MissingParentDirectoryIsAnErrorNamingThePath) {
  std::string path = dir_ + "/missing/registry";
  auto result = write_file_atomically(path, "content");
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("open '" + path + ".tmp.", 0), 0u) << message;
  EXPECT_NE(message.find(std::strerror(ENOENT)), std::string::npos) << message;
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, ReadingAMissingFileNamesThePath) {
  std::string path = dir_ + "/absent";
  auto result = read_file(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "open '" + path + "': " + std::strerror(ENOENT));
}

TEST_F(AtomicFileTest, ReadingADirectoryFails) {
  auto result = read_file(dir_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "read '" + dir_ + "': " + std::strerror(EISDIR));
}

TEST_F(AtomicFileTest, MakeDirectoriesCreatesEveryMissingComponent) {
  std::string path = dir_ + "/a/b/c";
  auto result = make_directories(path, 0750);
  ASSERT_TRUE(result.ok()) << result.error().message;
  for (const std::string& each : {dir_ + "/a", dir_ + "/a/b", path}) {
    EXPECT_TRUE(is_directory(each)) << each;
    EXPECT_EQ(mode_of(each), 0750u) << each;
  }
}

TEST_F(AtomicFileTest, MakeDirectoriesAcceptsExistingDirectories) {
  std::string path = dir_ + "/a/b";
  ASSERT_TRUE(make_directories(path).ok());
  ASSERT_TRUE(make_directories(path).ok());
  ASSERT_TRUE(make_directories(dir_).ok());
  ASSERT_TRUE(make_directories("/").ok());
  EXPECT_TRUE(is_directory(path));
}

TEST_F(AtomicFileTest, MakeDirectoriesToleratesRepeatedAndTrailingSlashes) {
  std::string path = dir_ + "//x///y/";
  auto result = make_directories(path);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(is_directory(dir_ + "/x/y"));
}

TEST_F(AtomicFileTest, MakeDirectoriesFailsWhenAComponentIsAFile) {
  std::string file = dir_ + "/file";
  std::ofstream(file) << "not a directory";
  auto result = make_directories(file + "/sub/dir");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "mkdir '" + file + "': " + std::strerror(ENOTDIR));
  EXPECT_FALSE(fs::exists(file + "/sub"));
}

TEST_F(AtomicFileTest, MakeDirectoriesFailsWhenTheTargetIsAFile) {
  std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  auto result = make_directories(file);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "mkdir '" + file + "': " + std::strerror(ENOTDIR));
}

TEST_F(AtomicFileTest, MakeDirectoriesRejectsAnEmptyPath) {
  auto result = make_directories("");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, std::string("mkdir '': ") + std::strerror(ENOENT));
}

}  // namespace
}  // namespace dcos

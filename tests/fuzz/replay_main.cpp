// A main() for fuzz targets in builds without libFuzzer: runs
// LLVMFuzzerTestOneInput once on every file named on the command line, or
// on every regular file of a named directory (in name order). A failed
// check in the target aborts, which fails the test that runs this.
//
//   frame_decoder_replay tests/fuzz/corpus/frame_decoder [more files or dirs]
//
// Exits 0 after replaying at least one input, 1 when there was nothing to
// replay or a file could not be read (a missing corpus must not pass).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Inputs are kept small by libFuzzer's -max_len; a larger file is a mistake.
constexpr std::uintmax_t kMaxInput = 16 * 1024 * 1024;

bool collect(const fs::path& path, std::vector<fs::path>& files) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file()) found.push_back(entry.path());
    if (ec) {
      std::cerr << "replay: read directory '" << path.string() << "': " << ec.message() << "\n";
      return false;
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
    return true;
  }
  if (!fs::is_regular_file(path, ec)) {
    std::cerr << "replay: '" << path.string() << "' is neither a file nor a directory\n";
    return false;
  }
  files.push_back(path);
  return true;
}

bool replay(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec || size > kMaxInput) {
    std::cerr << "replay: '" << file.string() << "': " << (ec ? ec.message() : "larger than 16 MiB") << "\n";
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::cerr << "replay: read '" << file.string() << "' failed\n";
    return false;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " FILE|DIR...\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i)
    if (!collect(argv[i], files)) return 1;
  if (files.empty()) {
    std::cerr << "replay: no inputs found\n";
    return 1;
  }
  for (const auto& file : files)
    if (!replay(file)) return 1;
  std::cout << "replayed " << files.size() << " inputs\n";
  return 0;
}

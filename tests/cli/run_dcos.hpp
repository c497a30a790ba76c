// Runs the dcos command line in this process, as the tests' own caller of
// dcos::cli::run(): no environment, stdout and stderr caught apart.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "daemons/cli/cli.hpp"

namespace dcos::cli::testing {

// `args` without the program's name; the exit code, what went to stdout
// (`out`) and to stderr (`err`).
inline int run_dcos(std::vector<std::string> args, std::string& out, std::string& err) {
  args.insert(args.begin(), "dcos");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  const char* const no_environment[] = {nullptr};
  std::ostringstream output, errors;
  const int code = run(static_cast<int>(args.size()), argv.data(), no_environment, output, errors);
  out = output.str();
  err = errors.str();
  return code;
}

}  // namespace dcos::cli::testing

// dcos: the cluster's command-line tool. Everything but the process
// boundary lives in dcos_cli_lib; see cli.hpp.
#include <unistd.h>

#include <iostream>

#include "daemons/cli/cli.hpp"

int main(int argc, char** argv) { return dcos::cli::run(argc, argv, environ, std::cout, std::cerr); }

// dcos-container: see container_cli.hpp.
#include <unistd.h>

#include <iostream>

#include "isolation/tool/container_cli.hpp"

int main(int argc, char** argv) { return dcos::isolation::tool::run(argc, argv, environ, std::cout, std::cerr); }

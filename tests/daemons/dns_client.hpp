// DNS clients for the dcos-dns tests (dns_test.cpp, dns_forward_test.cpp):
// `dig` (dnsutils) for well-formed queries, raw loopback sockets for
// packets dig would not send. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing::dns_client {

inline constexpr const char* kDig = "/usr/bin/dig";

struct Dig {
  std::string status;                // "NOERROR", "NXDOMAIN", ...; "" when no answer came
  std::string flags;                 // "qr rd ra", with "tc" when truncated
  std::vector<std::string> answers;  // each record's data ("127.0.0.1", "0 1 31005 web-....mesos.")
  std::vector<std::string> ttls;     // each answer record's TTL
  std::string output;
};

// `dig @127.0.0.1 -p port name type` with one try of `seconds`, plus `extra` options (+tcp, +noedns...).
inline Dig dig(uint16_t port, const std::string& name, const std::string& type,
               const std::vector<std::string>& extra = {}, int seconds = 1) {
  std::vector<std::string> argv = {kDig,       "@127.0.0.1", "-p",      std::to_string(port),
                                   name,       type,         "+time=" + std::to_string(seconds),
                                   "+tries=1", "+noall",     "+comments", "+answer"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Dig result;
  result.output = run_program(argv, std::chrono::seconds(10 + 2 * seconds)).second;
  if (const auto at = result.output.find("status: "); at != std::string::npos)
    result.status = result.output.substr(at + 8, result.output.find(',', at) - at - 8);
  if (const auto at = result.output.find("flags: "); at != std::string::npos)
    result.flags = result.output.substr(at + 7, result.output.find(';', at) - at - 7);
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == ';') continue;
    // owner ttl class type data...
    std::istringstream fields(line);
    std::string owner, ttl, klass, rtype, data, word;
    fields >> owner >> ttl >> klass >> rtype;
    while (fields >> word) data += (data.empty() ? "" : " ") + word;
    result.answers.push_back(data);
    result.ttls.push_back(ttl);
  }
  return result;
}

inline bool has(const std::vector<std::string>& answers, const std::string& part) {
  for (const auto& answer : answers)
    if (answer.find(part) != std::string::npos) return true;
  return false;
}

// A socket to 127.0.0.1:port with a receive timeout of half a second.
inline int open_socket(int type, uint16_t port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  timeval timeout{0, 500000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends one datagram; the reply, or "" if none came within half a second.
inline std::string udp_exchange(uint16_t port, const std::string& packet) {
  const int fd = open_socket(SOCK_DGRAM, port);
  if (fd < 0) return "";
  ::send(fd, packet.data(), packet.size(), 0);
  char buffer[65536];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
}

inline std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0,
                          uint16_t ar = 0) {
  std::string out;
  for (const uint16_t field : {id, flags, qd, an, ns, ar}) {
    out += static_cast<char>(field >> 8);
    out += static_cast<char>(field & 0xff);
  }
  return out;
}

inline const std::string kTypeA = std::string("\0\1\0\1", 4);  // A, IN

inline uint16_t id_of(const std::string& reply) {
  return static_cast<uint16_t>(static_cast<unsigned char>(reply[0]) << 8 | static_cast<unsigned char>(reply[1]));
}
inline int rcode_of(const std::string& reply) { return static_cast<unsigned char>(reply[3]) & 0xF; }

}  // namespace dcos::testing::dns_client

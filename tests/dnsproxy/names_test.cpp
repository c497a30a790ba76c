#include "dnsproxy/names.hpp"

#include <gtest/gtest.h>

namespace dcos::dns {
namespace {

TEST(NamesTest, LabelsAreLowerCaseWithInvalidCharactersAsDashesTrimmedAndBounded) {
  EXPECT_EQ(label_of("Web_Server"), "web-server");
  EXPECT_EQ(label_of("--x--"), "x");
  EXPECT_EQ(label_of("/my/app"), "my-app");
  EXPECT_EQ(label_of("___"), "");
  EXPECT_EQ(label_of(std::string(70, 'a')), std::string(63, 'a'));
  EXPECT_EQ(label_of(std::string(62, 'a') + "_b"), std::string(62, 'a')) << "no dash left at the cut";
}

TEST(NamesTest, FragmentsSplitAtDotsAndDropEmptyPieces) {
  EXPECT_EQ(domain_fragment("Nginx.Prod"), "nginx.prod");
  EXPECT_EQ(domain_fragment("a..b."), "a.b");
  EXPECT_EQ(domain_fragment("..."), "");
}

}  // namespace
}  // namespace dcos::dns

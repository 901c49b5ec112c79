// The fake marketplace's operator commands (tests/fakes/order_commands.h), as scripts/demo
// writes them to `fake-marketplace --control`: each changes the book exactly as its verb
// says, and a bad line is refused with what is wrong, changing nothing.
#include "tests/fakes/order_commands.h"

#include <map>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace stockd::fakes {
namespace {

class OrderCommandsTest : public ::testing::Test {
 protected:
  OrderCommandsTest()
      : book_({[this](const std::string& c, const std::string& l) { return shown_[c + "/" + l]; },
               [this](const std::string& c, const std::string& l, int64_t q) {
                 shown_[c + "/" + l] = q;
               }}) {}

  std::map<std::string, int64_t> shown_ = {{"amazon/SKU-1", 5}, {"amazon/SKU-2", 4}};
  FakeOrderBook book_;
};

TEST_F(OrderCommandsTest, EachVerbChangesTheOrderAsItSays) {
  absl::StatusOr<std::string> r = RunOrderCommand(book_, "place amazon A-1 SKU-1:3,SKU-2:1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "placed A-1 (pending) with 2 lines");
  EXPECT_EQ(shown_["amazon/SKU-1"], 2);  // the marketplace lowers its own number
  EXPECT_EQ(shown_["amazon/SKU-2"], 3);
  EXPECT_EQ(RunOrderCommand(book_, "accept amazon A-1").value_or(""), "accepted A-1");
  EXPECT_EQ(RunOrderCommand(book_, "  ship   amazon A-1 ").value_or(""), "shipped A-1");
  absl::StatusOr<FakeOrder> a1 = book_.Get("amazon", "A-1");
  ASSERT_TRUE(a1.ok());
  EXPECT_EQ(a1->status, FakeOrderStatus::kShipped);
  EXPECT_EQ(a1->lines[0].quantity_shipped, 3);
  EXPECT_EQ(a1->lines[1].quantity_shipped, 1);

  EXPECT_EQ(RunOrderCommand(book_, "place amazon A-2 SKU-1:1 accepted").value_or(""),
            "placed A-2 (accepted) with 1 line");
  EXPECT_EQ(RunOrderCommand(book_, "cancel amazon A-2").value_or(""), "cancelled A-2");
  EXPECT_EQ(book_.Get("amazon", "A-2")->status, FakeOrderStatus::kCancelled);
}

TEST_F(OrderCommandsTest, ABadLineIsRefusedAndChangesNothing) {
  const char* bad[] = {"",
                       "place amazon",
                       "place amazon A-1",
                       "place amazon A-1 SKU-1",
                       "place amazon A-1 SKU-1:0",
                       "place amazon A-1 SKU-1:x",
                       "place amazon A-1 :2",
                       "place amazon A-1 SKU-1:1 shipped",
                       "accept amazon A-1 extra",
                       "refund amazon A-1"};
  for (const char* line : bad) {
    EXPECT_EQ(RunOrderCommand(book_, line).status().code(), absl::StatusCode::kInvalidArgument)
        << line;
  }
  EXPECT_EQ(RunOrderCommand(book_, "accept amazon NO-SUCH").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(shown_["amazon/SKU-1"], 5);
  EXPECT_EQ(book_.Get("amazon", "A-1").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stockd::fakes

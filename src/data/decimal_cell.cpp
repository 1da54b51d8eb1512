// Number cells of tables: the forms the short paths (decimal_cell.hpp) leave, by from_chars.
#include "decimal_cell.hpp"

#include <charconv>
#include <cmath>

namespace shoal::data {
namespace decimal_cell {

bool parseGeneral(std::string_view s, float& value) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(value);
}

}  // namespace decimal_cell

bool parseDecimalCell(std::string_view s, float& value) { return parseDecimalCell(s, value, nullptr); }

}  // namespace shoal::data

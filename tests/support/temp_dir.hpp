// A fresh directory under the system temp dir, removed with everything in it on destruction.
// Making one sets the process's umask to 077: every file a test writes (secret files among
// them, which supportd refuses when group or others may read them) is created 0600.
#pragma once

#include <filesystem>

namespace supportd::test {

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

}  // namespace supportd::test

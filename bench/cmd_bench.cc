// cmd_bench: times shell commands side by side and prints the ratio of their medians.
//
//   cmd_bench [--runs R] [--warmup W] [--shell] --cmd NAME=COMMAND --cmd NAME=COMMAND ...
//
// After W warm-up runs of each (default 1, not recorded), the commands run in turn, R times
// each (default 10): A B C A B C ... so that drift of the machine hits all of them alike.
// Stdout goes to /dev/null; stderr is inherited. Every run is measured from just before fork()
// to the return of wait4(): wall time on steady_clock, CPU time (user + system) and peak RSS
// (ru_maxrss, which covers the process and the descendants it waited for). Linux carries the
// resident anonymous pages of the forked copy of cmd_bench into the child's ru_maxrss when it
// execs, so RSS figures have a floor (printed at the start, as the ru_maxrss of `true`).
//
// Like make, a COMMAND without shell metacharacters is split on blanks and executed directly;
// anything else runs through /bin/sh -c (always with --shell). The first command is the base:
// for every other command B the output gives median(B) / median(base), i.e. how many times
// faster the base is.
//
// Output: a table for people, then one line per command and per ratio for scripts:
//   RESULT name=N runs=R median_ms=.. min_ms=.. max_ms=.. mean_ms=.. cpu_median_ms=..
//          max_rss_mb=.. failures=F
//   RATIO base=A other=B ratio=X
//   FLOOR max_rss_mb=..        (first, before the runs)
// Exit status: 0, 1 when some run exited non-zero, 2 on bad usage or when spawning failed.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace portatlas::bench {
namespace {

constexpr std::string_view kShellMetachars = "#;\"*?[]&|<>(){}$`'\\!~\n";

struct Command {
  std::string name;
  std::string line;
  std::vector<std::string> argv;  // what is executed, program first
  bool via_shell = false;
};

struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
  long max_rss_kb = 0;
  bool ok = false;
};

struct Options {
  int runs = 10;
  int warmup = 1;
  bool force_shell = false;
  std::vector<Command> commands;
};

void Usage() {
  std::fprintf(stderr,
               "usage: cmd_bench [--runs R] [--warmup W] [--shell] --cmd NAME=COMMAND "
               "[--cmd NAME=COMMAND ...]\n");
}

bool ParseCount(std::string_view text, int min, int* out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min) return false;
  *out = value;
  return true;
}

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::vector<std::string> SplitBlanks(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

// Decides how `line` is executed: directly when no word needs a shell (and the first word is
// not an assignment), else through /bin/sh -c.
Command MakeCommand(std::string name, std::string line, bool force_shell) {
  Command cmd{std::move(name), std::move(line), {}, force_shell};
  if (!cmd.via_shell) {
    cmd.argv = SplitBlanks(cmd.line);
    cmd.via_shell = cmd.argv.empty() ||
                    cmd.line.find_first_of(kShellMetachars) != std::string::npos ||
                    cmd.argv[0].find('=') != std::string::npos;
  }
  if (cmd.via_shell) cmd.argv = {"/bin/sh", "-c", cmd.line};
  return cmd;
}

bool ParseArgs(int argc, char** argv, Options* opts) {
  std::vector<std::pair<std::string, std::string>> specs;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--shell") {
      opts->force_shell = true;
    } else if (arg == "--runs" && has_value) {
      if (!ParseCount(argv[++i], 1, &opts->runs)) return false;
    } else if (arg == "--warmup" && has_value) {
      if (!ParseCount(argv[++i], 0, &opts->warmup)) return false;
    } else if (arg == "--cmd" && has_value) {
      const std::string_view spec = argv[++i];
      const size_t eq = spec.find('=');
      if (eq == std::string_view::npos || !ValidName(spec.substr(0, eq))) {
        std::fprintf(stderr, "cmd_bench: --cmd wants NAME=COMMAND, NAME of [A-Za-z0-9._-]\n");
        return false;
      }
      specs.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    } else {
      std::fprintf(stderr, "cmd_bench: bad argument '%s'\n", argv[i]);
      return false;
    }
  }
  for (auto& [name, line] : specs) {
    opts->commands.push_back(MakeCommand(std::move(name), std::move(line), opts->force_shell));
  }
  return !opts->commands.empty();
}

double TimevalMs(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
}

// Starts argv[0] (searched in PATH) with stdout on /dev/null; its pid, or -1 after saying why.
// fork() rather than posix_spawn(): a vfork-style child runs in our memory until exec, and the
// kernel then counts all our resident pages in the child's ru_maxrss.
pid_t Spawn(const std::vector<char*>& argv) {
  int report[2];  // carries errno from a failed exec; EOF once exec succeeded
  if (pipe2(report, O_CLOEXEC) != 0) {
    std::perror("cmd_bench: pipe2");
    return -1;
  }
  const int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t pid = dev_null < 0 ? -1 : fork();
  if (pid == 0) {
    dup2(dev_null, STDOUT_FILENO);
    execvp(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] const ssize_t written = write(report[1], &err, sizeof(err));
    _exit(127);
  }
  const int fork_errno = errno;
  close(report[1]);
  if (dev_null >= 0) close(dev_null);
  int err = 0;
  const ssize_t n = pid < 0 ? 0 : read(report[0], &err, sizeof(err));
  close(report[0]);
  if (pid < 0 || n == sizeof(err)) {
    if (pid > 0) waitpid(pid, nullptr, 0);
    std::fprintf(stderr, "cmd_bench: cannot start '%s': %s\n", argv[0],
                 std::strerror(pid < 0 ? fork_errno : err));
    return -1;
  }
  return pid;
}

// Runs `cmd` once. False only when it could not be started.
bool RunOnce(const Command& cmd, Sample* sample) {
  std::vector<char*> argv;
  for (const std::string& word : cmd.argv) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = Spawn(argv);
  if (pid < 0) return false;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("cmd_bench: wait4");
      return false;
    }
  }
  const auto end = std::chrono::steady_clock::now();
  sample->wall_ms = std::chrono::duration<double, std::milli>(end - start).count();
  sample->cpu_ms = TimevalMs(usage.ru_utime) + TimevalMs(usage.ru_stime);
  sample->max_rss_kb = usage.ru_maxrss;
  sample->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!sample->ok) {
    std::fprintf(stderr, "cmd_bench: '%s' ended with status 0x%x\n", cmd.name.c_str(), status);
  }
  return true;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Summary {
  double median_ms = 0, min_ms = 0, max_ms = 0, mean_ms = 0, cpu_median_ms = 0;
  double max_rss_mb = 0;
  int failures = 0;
};

Summary Summarise(const std::vector<Sample>& samples) {
  std::vector<double> wall;
  std::vector<double> cpu;
  Summary s;
  long max_rss_kb = 0;
  for (const Sample& x : samples) {
    wall.push_back(x.wall_ms);
    cpu.push_back(x.cpu_ms);
    max_rss_kb = std::max(max_rss_kb, x.max_rss_kb);
    if (!x.ok) ++s.failures;
    s.mean_ms += x.wall_ms / static_cast<double>(samples.size());
  }
  s.median_ms = Median(wall);
  s.min_ms = *std::min_element(wall.begin(), wall.end());
  s.max_ms = *std::max_element(wall.begin(), wall.end());
  s.cpu_median_ms = Median(cpu);
  s.max_rss_mb = static_cast<double>(max_rss_kb) / 1024.0;
  return s;
}

void PrintReport(const Options& opts, const std::vector<Summary>& summaries) {
  std::printf("\n%-16s %10s %10s %10s %12s %12s %8s\n", "command", "median ms", "min ms", "max ms",
              "cpu med ms", "max RSS MB", "failed");
  for (size_t i = 0; i < summaries.size(); ++i) {
    const Summary& s = summaries[i];
    std::printf("%-16s %10.2f %10.2f %10.2f %12.2f %12.2f %8d\n", opts.commands[i].name.c_str(),
                s.median_ms, s.min_ms, s.max_ms, s.cpu_median_ms, s.max_rss_mb, s.failures);
  }
  const Command& base = opts.commands[0];
  for (size_t i = 1; i < summaries.size(); ++i) {
    const double ratio = summaries[i].median_ms / summaries[0].median_ms;
    std::printf("%s / %s = %.2f  (%s is %.2fx %s than %s)\n", opts.commands[i].name.c_str(),
                base.name.c_str(), ratio, base.name.c_str(), ratio >= 1 ? ratio : 1 / ratio,
                ratio >= 1 ? "faster" : "slower", opts.commands[i].name.c_str());
  }
  std::printf("\n");
  for (size_t i = 0; i < summaries.size(); ++i) {
    const Summary& s = summaries[i];
    std::printf(
        "RESULT name=%s runs=%d median_ms=%.3f min_ms=%.3f max_ms=%.3f mean_ms=%.3f "
        "cpu_median_ms=%.3f max_rss_mb=%.2f failures=%d\n",
        opts.commands[i].name.c_str(), opts.runs, s.median_ms, s.min_ms, s.max_ms, s.mean_ms,
        s.cpu_median_ms, s.max_rss_mb, s.failures);
  }
  for (size_t i = 1; i < summaries.size(); ++i) {
    std::printf("RATIO base=%s other=%s ratio=%.3f\n", base.name.c_str(),
                opts.commands[i].name.c_str(), summaries[i].median_ms / summaries[0].median_ms);
  }
}

int Run(const Options& opts) {
  std::printf("cmd_bench: %d runs each after %d warm-up, alternating; stdout -> /dev/null\n",
              opts.runs, opts.warmup);
  for (const Command& cmd : opts.commands) {
    std::printf("  %-16s %s: %s\n", cmd.name.c_str(), cmd.via_shell ? "sh -c " : "direct",
                cmd.line.c_str());
  }
  Sample floor;
  if (!RunOnce(MakeCommand("floor", "true", false), &floor)) return 2;
  std::printf(
      "FLOOR max_rss_mb=%.2f  (ru_maxrss of `true` started the same way: the least any "
      "command can show)\n",
      static_cast<double>(floor.max_rss_kb) / 1024.0);
  std::fflush(stdout);
  const size_t count = opts.commands.size();
  std::vector<std::vector<Sample>> samples(count);
  Sample scratch;
  for (int round = 0; round < opts.warmup + opts.runs; ++round) {
    for (size_t i = 0; i < count; ++i) {
      Sample* sample = &scratch;
      if (round >= opts.warmup) sample = &samples[i].emplace_back();
      if (!RunOnce(opts.commands[i], sample)) return 2;
    }
  }
  std::vector<Summary> summaries;
  int failures = 0;
  for (const auto& s : samples) {
    summaries.push_back(Summarise(s));
    failures += summaries.back().failures;
  }
  PrintReport(opts, summaries);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace portatlas::bench

int main(int argc, char** argv) {
  portatlas::bench::Options opts;
  if (!portatlas::bench::ParseArgs(argc, argv, &opts)) {
    portatlas::bench::Usage();
    return 2;
  }
  return portatlas::bench::Run(opts);
}

#include "config/command_line.hpp"

#include <CLI/CLI.hpp>

#include <array>

#include "config/config_keys.hpp"
#include "config/config_loader.hpp"

#ifndef CHATD_VERSION
#error "CHATD_VERSION must be defined by the build (see CMakeLists.txt)"
#endif

namespace chatd {
namespace {

using config_detail::quote_value;

constexpr const char* description =
    "chatd: a TCP chat server with rooms, nicknames and private messages. Clients connect with\n"
    "telnet or nc and speak a line protocol (human or JSON output).\n"
    "Settings come from built-in defaults, then the YAML file given by --config, then these\n"
    "flags: a flag overrides the same key in the file.\n";

constexpr const char* footer =
    "Examples:\n"
    "  chatd                                   run on the defaults (chat on 0.0.0.0:7000)\n"
    "  chatd --config /etc/chatd/chatd.yaml --check-config\n"
    "                                          check a config file and exit\n"
    "  chatd --config /etc/chatd/chatd.yaml --health-check\n"
    "                                          exit 0 if the server it configures is serving";

// A flag that overrides one config key.
struct flag_override {
  const char* flag;
  const char* key;
  const char* type_name;
  const char* help;
  std::optional<std::string> command_line::*value;
};

constexpr std::array<flag_override, 6> overrides{{
    {"--listen", "listen.chat", "ADDR", "Chat listener, host:port (listen.chat)",
     &command_line::listen},
    {"--metrics-listen", "listen.metrics", "ADDR",
     "Metrics and health listener, host:port; \"\" disables it (listen.metrics)",
     &command_line::metrics_listen},
    {"--log-level", "log.level", "LEVEL",
     "trace, debug, info, warn, error, critical or off (log.level)", &command_line::log_level},
    {"--log-format", "log.format", "FORMAT", "text or json (log.format)",
     &command_line::log_format},
    {"--cluster-nats", "cluster.nats", "URLS",
     "NATS servers of the cluster, comma-separated nats://host:port, tls://host:port or "
     "host:port; \"\" runs standalone (cluster.nats)",
     &command_line::cluster_nats},
    {"--cluster-node", "cluster.node", "NAME",
     "This node's name in the cluster, unique there (cluster.node)", &command_line::cluster_node},
}};

// The flag that set `key`, or nullptr if no flag did.
const flag_override* overriding_flag(const command_line& cli, std::string_view key) {
  for (const flag_override& o : overrides) {
    if (o.key == key && (cli.*o.value).has_value()) return &o;
  }
  return nullptr;
}

// Relations the file satisfied can fail once flags change a key; name the flag, since it is
// what the operator has to fix (the file was already checked with line numbers).
void check_relations_against_flags(const command_line& cli, const config& cfg) {
  for (const auto& relation : config_detail::all_relations()) {
    const auto error = relation.check(cfg);
    if (!error) continue;
    const std::string value =
        quote_value(config_detail::shown_value(*config_detail::find_key(relation.key), cfg));
    if (const auto* own = overriding_flag(cli, relation.key)) {
      throw config_error(std::string(own->flag) + ": " + *error + ", got " + value);
    }
    if (const auto* other = overriding_flag(cli, relation.other)) {
      throw config_error(std::string(other->flag) + ": conflicts with " + relation.key + ": " +
                         *error + ", got " + value);
    }
  }
}

}  // namespace

std::optional<command_line> parse_command_line(int argc, const char* const* argv,
                                               int& exit_code) {
  CLI::App app{description, "chatd"};
  app.footer(footer);
  command_line cli;
  std::string config_path;

  auto* config_option = app.add_option("--config", config_path,
                                       "YAML config file; without it chatd runs on its defaults")
                            ->type_name("FILE");
  app.add_flag("--check-config", cli.check_config,
               "Validate the configuration (defaults, file and flags), report, and exit");
  app.add_flag("--health-check", cli.health_check,
               "Ask the running chatd's GET /healthz (on listen.metrics) and exit 0 if it is "
               "serving, 1 if not (for container health checks)");
  std::array<std::string, overrides.size()> values;
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    // As with most Unix tools, a flag given twice takes its last value, so wrappers can
    // append overrides.
    app.add_option(overrides[i].flag, values[i], overrides[i].help)
        ->type_name(overrides[i].type_name)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  app.set_version_flag("--version", "chatd " CHATD_VERSION, "Print the version and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version to stdout and errors to stderr. Its exit codes differ per error
    // class; we give 2 for every usage error, as most Unix tools do.
    exit_code = app.exit(e) == 0 ? 0 : 2;
    return std::nullopt;
  }

  if (config_option->count() > 0) cli.config_path = config_path;
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    if (app.count(overrides[i].flag) > 0) cli.*overrides[i].value = values[i];
  }
  exit_code = 0;
  return cli;
}

config resolve_config(const command_line& cli) {
  config cfg;
  if (cli.config_path) cfg = load_config_file(*cli.config_path, std::move(cfg));
  for (const flag_override& o : overrides) {
    const auto& value = cli.*o.value;
    if (!value) continue;
    if (auto error = config_detail::find_key(o.key)->set(*value, cfg)) {
      throw config_error(std::string(o.flag) + ": " + *error + ", got " + quote_value(*value));
    }
  }
  check_relations_against_flags(cli, cfg);
  validate(cfg);
  return cfg;
}

}  // namespace chatd

#include "config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "config/config_keys.hpp"

namespace chatd {
namespace {

using config_detail::config_key;
using config_detail::quote_value;

// What a node holds, for "got ..." when it is not a scalar.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "an empty value";
    default: return quote_value(node.Scalar());
  }
}

// An unquoted "[::]:7000" is a YAML flow list followed by junk; it is the likeliest way to
// write a valid address and get a YAML error, so name the fix.
constexpr std::string_view ipv6_hint = "; quote IPv6 addresses in YAML, e.g. chat: '[::]:7000'";

bool looks_like_bare_ipv6(std::string_view text, int zero_based_line) {
  std::size_t begin = 0;
  for (int i = 0; i < zero_based_line && begin != std::string_view::npos; ++i) {
    begin = text.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (begin == std::string_view::npos) return false;
  const std::string_view line = text.substr(begin, text.find('\n', begin) - begin);
  const auto open = line.find(": [");
  return open != std::string_view::npos && line.find("]:", open) != std::string_view::npos;
}

// yaml-cpp lines are 0-based and -1 when unknown; ours are 1-based and 0 when unknown.
int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// Reads one YAML text into a config. Every failure throws a config_error of the form
// "source:line: key: what was expected, got 'value'".
class yaml_reader {
 public:
  yaml_reader(std::string_view source, config base) : source_(source), cfg_(std::move(base)) {}

  config read(std::string_view text) {
    const YAML::Node root = parse(text);
    if (root.IsNull()) return cfg_;  // empty, or only comments: all defaults
    if (!root.IsMap()) {
      std::string sections;
      for (const std::string& section : config_detail::names_under("")) {
        sections += (sections.empty() ? "" : ", ") + section;
      }
      fail(line_of(root), "expected a map of sections (" + sections + "), got " + describe(root));
    }
    seen_lines sections_seen;
    for (const auto& entry : root) {
      const std::string section = key_name(entry.first, "", sections_seen);
      if (!config_detail::is_section(section)) {
        fail(line_of(entry.first),
             section + ": unknown section" + config_detail::suggest("", section));
      }
      read_section(section, entry.first, entry.second);
    }
    check_relations();
    return cfg_;
  }

 private:
  using seen_lines = std::map<std::string, int, std::less<>>;

  [[noreturn]] void fail(int line, const std::string& what) const {
    std::string where(source_);
    if (line > 0) where += ":" + std::to_string(line);
    throw config_error(where + ": " + what);
  }

  YAML::Node parse(std::string_view text) const {
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& e) {
      const bool ipv6 = looks_like_bare_ipv6(text, e.mark.line);
      fail(e.mark.line + 1, "YAML syntax error: " + e.msg + (ipv6 ? std::string(ipv6_hint) : ""));
    }
    // A second document would be silently ignored by a plain Load; say so instead.
    for (std::size_t i = 1; i < documents.size(); ++i) {
      if (!documents[i].IsNull()) {
        fail(line_of(documents[i]), "expected one YAML document, found another after '---'");
      }
    }
    return documents.empty() ? YAML::Node() : documents.front();
  }

  // The name of a map key, refusing lists and maps as keys and a key given twice (yaml-cpp
  // keeps both and lookups would silently take the first). A dot is refused too: "tls.ca:"
  // under cluster would be a second spelling of the nested form, and two spellings of one key
  // could both be given.
  std::string key_name(const YAML::Node& key, const std::string& prefix, seen_lines& seen) const {
    if (!key.IsScalar()) fail(line_of(key), "expected a key name, got " + describe(key));
    const std::string name = prefix + key.Scalar();
    if (key.Scalar().find('.') != std::string::npos) {
      fail(line_of(key), name + ": expected a key name without '.'; nest the parts as maps");
    }
    const auto [previous, inserted] = seen.emplace(name, line_of(key));
    if (!inserted) {
      fail(line_of(key),
           name + ": duplicate key (first given on line " + std::to_string(previous->second) + ")");
    }
    return name;
  }

  // A top-level section, or a subsection such as cluster.tls.
  void read_section(const std::string& section, const YAML::Node& key, const YAML::Node& value) {
    if (value.IsNull()) return;  // "limits:" with nothing under it keeps the defaults
    if (!value.IsMap()) {
      fail(line_of(key), section + ": expected a map of " + section + " keys, got " +
                             describe(value));
    }
    seen_lines keys_seen;
    for (const auto& entry : value) read_key(section, entry.first, entry.second, keys_seen);
  }

  void read_key(const std::string& section, const YAML::Node& key, const YAML::Node& value,
                seen_lines& seen) {
    const std::string name = key_name(key, section + ".", seen);
    const config_key* rule = config_detail::find_key(name);
    if (rule == nullptr && config_detail::is_section(name)) {
      read_section(name, key, value);
      return;
    }
    if (rule == nullptr) {
      fail(line_of(key), name + ": unknown key" + config_detail::suggest(section, key.Scalar()));
    }
    if (value.IsMap() || (value.IsSequence() && !rule->list)) {
      const bool ipv6 = value.IsSequence() && section == "listen";
      fail(line_of(key), name + ": " + rule->expected + ", got " + describe(value) +
                             (ipv6 ? std::string(ipv6_hint) : ""));
    }
    // A null ("key:", "~") reads as "": it disables listen.metrics, rooms.default and the
    // cluster, and is an error where a value is required.
    std::string text;
    if (value.IsSequence()) {
      text = list_text(name, *rule, value, line_of(key));
    } else if (!value.IsNull()) {
      text = value.Scalar();
    }
    if (auto error = rule->set(text, cfg_)) {
      fail(line_of(key), name + ": " + *error + ", got " + quote_value(text));
    }
    key_lines_[name] = line_of(key);
  }

  // The items of a list key joined as `set` reads them. Each item is checked on its own first,
  // so that an error names the item and its line rather than the whole list.
  std::string list_text(const std::string& name, const config_key& rule, const YAML::Node& items,
                        int key_line) const {
    std::string joined;
    for (const auto& item : items) {
      // yaml-cpp marks an empty item where the next token starts, often a line further.
      if (item.IsNull()) fail(key_line, name + ": " + rule.expected + ", got " + describe(item));
      if (!item.IsScalar() || item.Scalar().empty()) {
        fail(line_of(item), name + ": " + rule.expected + ", got " + describe(item));
      }
      const std::string& text = item.Scalar();
      if (text.find(',') != std::string::npos) {
        fail(line_of(item), name + ": expected one value per list item, got " + quote_value(text));
      }
      config scratch = cfg_;
      if (auto error = rule.set(text, scratch)) {
        fail(line_of(item), name + ": " + *error + ", got " + quote_value(text));
      }
      joined += (joined.empty() ? "" : ",") + text;
    }
    return joined;
  }

  // Blames the dependent key's line if the file set it, else the other key's line.
  void check_relations() const {
    for (const auto& relation : config_detail::all_relations()) {
      const auto error = relation.check(cfg_);
      if (!error) continue;
      int line = 0;
      if (auto it = key_lines_.find(relation.key); it != key_lines_.end()) {
        line = it->second;
      } else if (auto other = key_lines_.find(relation.other); other != key_lines_.end()) {
        line = other->second;
      }
      const std::string value =
          config_detail::shown_value(*config_detail::find_key(relation.key), cfg_);
      fail(line, relation.key + ": " + *error + ", got " + quote_value(value));
    }
  }

  std::string_view source_;
  config cfg_;
  std::map<std::string, int, std::less<>> key_lines_;  // key -> line it was set on
};

}  // namespace

config load_config_text(std::string_view yaml_text, std::string_view source, config base) {
  return yaml_reader(source, std::move(base)).read(yaml_text);
}

config load_config_file(const std::string& path, config base) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_error(path + ": cannot read config file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path + ": cannot read config file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw config_error(path + ": cannot read config file: " + std::strerror(errno));
  return load_config_text(text.str(), path, std::move(base));
}

// Re-reads every value through its key's parser, so a config built in code (or changed by flags)
// obeys exactly the ranges a file would, then checks the relations between keys.
void validate(const config& cfg) {
  for (const config_key& key : config_detail::all_keys()) {
    config scratch = cfg;
    if (auto error = key.set(key.get(cfg), scratch)) {
      throw config_error(key.name + ": " + *error + ", got " +
                         quote_value(config_detail::shown_value(key, cfg)));
    }
  }
  for (const auto& relation : config_detail::all_relations()) {
    if (auto error = relation.check(cfg)) {
      throw config_error(
          relation.key + ": " + *error + ", got " +
          quote_value(config_detail::shown_value(*config_detail::find_key(relation.key), cfg)));
    }
  }
}

}  // namespace chatd

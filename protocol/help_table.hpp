// The command list /help shows, kept apart from both encoders so they read the same table.
#pragma once

#include <string_view>

namespace chatd::protocol {

// One entry per command, in the order /help shows them. JSON sends the usage strings; human
// output adds the description.
struct help_entry {
  std::string_view usage;
  std::string_view description;
};
inline constexpr help_entry help_entries[] = {
    {"/nick NAME", "choose or change your nickname"},
    {"/join ROOM [since SEQ [EPOCH]]",
     "join a room (created if new) and make it current; since: replay what came after SEQ"},
    {"/part [ROOM]", "leave a room (default: the current one)"},
    {"/history [ROOM] [N]", "replay a room's latest N kept messages"},
    {"/say ROOM TEXT", "say something in a room without switching to it"},
    {"/me TEXT", "describe an action in the current room"},
    {"/msg NICK TEXT", "send a private message"},
    {"/topic [TEXT]", "show or set the current room's topic"},
    {"/rooms [PATTERN] [LIMIT]", "list the rooms (the first 100; PATTERN: a glob such as dev*)"},
    {"/who [ROOM] [LIMIT]", "list the members of a room (default: the current one; the first 100)"},
    {"/format human|json", "switch this connection's output format"},
    {"/ping [TOKEN]", "check that the server answers"},
    {"/help", "show this list"},
    {"/quit [REASON]", "leave chatd"},
};

}  // namespace chatd::protocol

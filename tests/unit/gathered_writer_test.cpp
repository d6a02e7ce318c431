// The gathered writer on a real socketpair: many lines in one call, partial writes resumed
// byte-exactly, the per-call caps, and a broken peer.
#include "server/transport/gathered_writer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace chatd {
namespace {

class socket_pair {
 public:
  socket_pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    writer = fds[0];
    reader = fds[1];
    ::fcntl(writer, F_SETFL, ::fcntl(writer, F_GETFL) | O_NONBLOCK);
    ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) | O_NONBLOCK);
  }
  ~socket_pair() {
    if (writer >= 0) ::close(writer);
    if (reader >= 0) ::close(reader);
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;

  // Everything readable now.
  std::string read_all() const {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(reader, buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  int writer = -1;
  int reader = -1;
};

struct written_totals {
  std::size_t written = 0;
  std::size_t released = 0;
};

// Writes and reads in turn until the queue is drained (bounded), checking after every write
// that what is queued or in flight plus what was released is all `total` bytes. Appends what
// the peer got to `received` and counts the writes that found the socket full in `blocked`.
void write_until_drained(socket_pair& pair, gathered_writer& writer, outbound_queue& queue,
                         std::size_t total, written_totals& t, std::string& received,
                         int& blocked) {
  for (int round = 0; round < 10000; ++round) {
    const auto r = writer.write(pair.writer, queue, t.written, t.released);
    ASSERT_NE(r, gathered_writer::result::failed);
    EXPECT_EQ(queue.bytes() + writer.in_flight() + t.released, total);
    received += pair.read_all();
    if (r == gathered_writer::result::drained) break;
    ++blocked;
  }
  received += pair.read_all();
}

TEST(GatheredWriter, WritesEveryQueuedLineInOrder) {
  socket_pair pair;
  gathered_writer::buffer flat;
  gathered_writer writer(flat);
  outbound_queue queue;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string line = "line " + std::to_string(i) + "\r\n";
    expected += line;
    queue.push(make_line(line));
  }
  written_totals t;
  EXPECT_EQ(writer.write(pair.writer, queue, t.written, t.released),
            gathered_writer::result::drained);
  EXPECT_EQ(t.written, expected.size());
  EXPECT_EQ(t.released, expected.size());
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(writer.in_flight(), 0u);
  EXPECT_EQ(pair.read_all(), expected);
}

// Queues lines of the sizes `size_of(i)` gives, i < count, and writes them through a socket
// whose small buffer fills again and again: the peer must get every byte once, in order.
template <typename SizeOf>
void expect_byte_exact_through_a_full_socket(int count, SizeOf size_of) {
  socket_pair pair;
  int small = 4096;
  ::setsockopt(pair.writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  gathered_writer::buffer flat;
  gathered_writer writer(flat);
  outbound_queue queue;
  std::string expected;
  for (int i = 0; i < count; ++i) {
    std::string line(size_of(i), static_cast<char>('a' + i % 26));
    line += "\r\n";
    expected += line;
    queue.push(make_line(line));
  }
  written_totals t;
  std::string received;
  int blocked = 0;
  write_until_drained(pair, writer, queue, expected.size(), t, received, blocked);
  EXPECT_GT(blocked, 0) << "the socket buffer should have filled at least once";
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "bytes were lost, repeated or reordered";
  EXPECT_EQ(t.written, expected.size());
  EXPECT_EQ(t.released, expected.size());
  EXPECT_EQ(writer.in_flight(), 0u);
}

TEST(GatheredWriter, AFullSocketBlocksAndTheRestFollowsByteExactlyOnceRead) {
  // Lines of odd sizes, so the socket fills in the middle of one.
  expect_byte_exact_through_a_full_socket(
      2000, [](int i) { return static_cast<std::size_t>(37 + i % 91); });
}

TEST(GatheredWriter, LongAndShortLinesMixedFollowByteExactlyThroughAFullSocket) {
  // Runs of short lines between long ones (a room's run of messages is one line of kilobytes),
  // with 100 long ones in a row.
  expect_byte_exact_through_a_full_socket(400, [](int i) {
    const bool is_long = i % 5 == 0 || (i >= 200 && i < 300);
    return is_long ? 2048 + static_cast<std::size_t>(i * 37 % 5000)
                   : static_cast<std::size_t>(20 + i % 97);
  });
}

TEST(GatheredWriter, OneCallTakesAtMostTheLineCapFromTheQueue) {
  socket_pair pair;
  int small = 4096;
  ::setsockopt(pair.writer, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  gathered_writer::buffer flat;
  gathered_writer writer(flat);
  outbound_queue queue;
  const std::size_t lines = gathered_writer::max_lines_per_write * 3;
  for (std::size_t i = 0; i < lines; ++i) queue.push(make_line(std::string(200, 'x') + "\r\n"));
  written_totals t;
  ASSERT_EQ(writer.write(pair.writer, queue, t.written, t.released),
            gathered_writer::result::blocked);
  // At most the one line the socket took part of is in flight; the rest waits in the queue,
  // where the byte bound of the connection still sees it.
  EXPECT_LE(writer.in_flight(), 202u);
  EXPECT_GE(queue.size(), lines - gathered_writer::max_lines_per_write);
  EXPECT_EQ(writer.drop() + t.released + queue.bytes(), lines * 202);
  EXPECT_EQ(writer.in_flight(), 0u);
}

TEST(GatheredWriter, ALineLongerThanTheBufferGoesAloneAndWhole) {
  socket_pair pair;
  gathered_writer::buffer flat;
  gathered_writer writer(flat);
  outbound_queue queue;
  const std::string big(gathered_writer::max_bytes_per_write + 1000, 'b');
  queue.push(make_line("before\r\n"));
  queue.push(make_line(big + "\r\n"));
  queue.push(make_line("after\r\n"));
  const std::string expected = "before\r\n" + big + "\r\nafter\r\n";
  written_totals t;
  std::string received;
  int blocked = 0;
  write_until_drained(pair, writer, queue, expected.size(), t, received, blocked);
  EXPECT_TRUE(received == expected) << "bytes were lost, repeated or reordered";
  EXPECT_EQ(t.released, expected.size());
  EXPECT_EQ(writer.in_flight(), 0u);
}

TEST(GatheredWriter, APeerThatIsGoneFails) {
  socket_pair pair;
  ::close(pair.reader);
  pair.reader = -1;
  gathered_writer::buffer flat;
  gathered_writer writer(flat);
  outbound_queue queue;
  queue.push(make_line("anyone?\r\n"));
  written_totals t;
  EXPECT_EQ(writer.write(pair.writer, queue, t.written, t.released),
            gathered_writer::result::failed);
  EXPECT_EQ(errno, EPIPE);
  EXPECT_EQ(writer.in_flight(), 0u);
  EXPECT_EQ(t.released, 9u);
}

}  // namespace
}  // namespace chatd

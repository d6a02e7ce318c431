# chatd container image: built on debian:bookworm, run on debian:bookworm-slim.
#   docker build -t chatd .
#   docker run --rm -p 7000:7000 -p 127.0.0.1:9102:9102 chatd
# The configuration is /etc/chatd/chatd.yaml (deploy/docker/chatd.yaml); mount your own over it.

# ---- build stage: compiler, CMake and the -dev packages ----
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev \
      libcli11-dev nlohmann-json3-dev libsystemd-dev libjemalloc-dev libnats-dev libssl-dev pkgconf \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DCHATD_BUILD_TESTS=OFF -DCHATD_BUILD_BENCH=OFF \
 && cmake --build /build --target chatd -j"$(nproc)" \
 && install -D -s -m 0755 /build/chatd /out/usr/bin/chatd \
 && /out/usr/bin/chatd --version

# ---- runtime stage: only the shared libraries chatd links against ----
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libspdlog1.10 libfmt9 libyaml-cpp0.7 libsystemd0 libjemalloc2 libnats3.4 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chatd \
 && useradd --system --uid 10001 --gid chatd --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin chatd
COPY --from=build /out/usr/bin/chatd /usr/bin/chatd
COPY deploy/docker/chatd.yaml /etc/chatd/chatd.yaml
RUN /usr/bin/chatd --config /etc/chatd/chatd.yaml --check-config

USER chatd:chatd
EXPOSE 7000 9102
# SIGTERM is a graceful shutdown: clients get their queued output and a bye within
# limits.shutdown_grace (5s), inside docker stop's default 10s.
STOPSIGNAL SIGTERM
# GETs /healthz on the configured metrics listener; needs no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/bin/chatd", "--config", "/etc/chatd/chatd.yaml", "--health-check"]
ENTRYPOINT ["/usr/bin/chatd"]
CMD ["--config", "/etc/chatd/chatd.yaml"]

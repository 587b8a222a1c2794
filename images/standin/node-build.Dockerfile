# Stand-in for node:24-bookworm (the full image, used as a build stage): the slim stand-in plus
# what the official one brings for native addons (python3, make, g++) and git.
ARG NODE_IMAGE=localhost/pod-patterns-standin/node:24-bookworm-slim
FROM ${NODE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 make g++ git ca-certificates curl >/dev/null \
 && rm -rf /var/lib/apt/lists/*

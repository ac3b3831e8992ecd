# Hearth hub image: docker compose up (see docker-compose.yml). Node 20 on Debian 12, as on a Pi.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Toolchain for native addons (better-sqlite3, unix-dgram) when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Build, then drop what only building and testing need.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf src tests bench scripts .ci

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HEARTH_DATA_DIR=/var/lib/hearth \
    HEARTH_HTTP_HOST=0.0.0.0 \
    HEARTH_MQTT_HOST=0.0.0.0 \
    HEARTH_HUB_LOG_FORMAT=json
WORKDIR /opt/hearth
COPY --from=build /app /opt/hearth
RUN mkdir -p /var/lib/hearth /etc/hearth && chown node:node /var/lib/hearth && chmod 700 /var/lib/hearth
USER node
VOLUME ["/var/lib/hearth"]
EXPOSE 8080 1883
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The setup code is printed in the log (docker compose logs hearth) and kept in
# /var/lib/hearth/setup-code.
CMD ["node", "--max-semi-space-size=2", "--v8-pool-size=1", "bin/hearth.js", "start"]

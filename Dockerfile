# syntax=docker/dockerfile:1

# Build: type-check, then bundle the service and its migrations into dist/waymark.mjs.
# Pinned: a rebuild gets the same Node; bump the tag on purpose.
FROM node:24.11.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts scripts/runtime-modules.mjs scripts/runtime-modules.d.mts ./scripts/
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# What the bundle still loads from node_modules (scripts/runtime-modules.mjs: Swagger UI's and the queue
# dashboard's files, with their dependencies), from the production install of the lockfile; not the
# embedded PostgreSQL binaries (optional), which production never uses.
FROM node:24.11.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
COPY scripts/runtime-modules.mjs ./scripts/
RUN node scripts/runtime-modules.mjs node_modules /runtime/node_modules

# Runtime: the bundle and those few packages, as the unprivileged node user.
FROM node:24.11.0-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=deps --chown=node:node /runtime/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `all` runs the API and the workers in one process; docker-compose.yml runs `api` and `worker` apart.
CMD ["node", "dist/waymark.mjs", "all"]

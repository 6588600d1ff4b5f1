# One image for every Vigil app; docker-compose.yml picks the app with the command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY test test
COPY bench bench
# The audit console (apps/console) is bundled by Vite into dist/console, which the query API serves at /console.
RUN node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc-alias -p tsconfig.json \
  && node_modules/.bin/tsc -p apps/console/tsconfig.json \
  && node_modules/.bin/vite build --config apps/console/vite.config.mts --logLevel warn \
  && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
# Override per service, e.g. `node dist/apps/materializer/src/main.js`.
CMD ["node", "dist/apps/cli/src/main.js", "--help"]

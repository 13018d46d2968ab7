# smtp-fleet's image: controller and workers. The runner payload (bundle + Node runtimes)
# is built in, so workers push exactly what this image was built with.
FROM node:22-bookworm-slim
WORKDIR /app
COPY . .
# npm ci builds (prepare) and caches the pinned runtimes; build:payload assembles the payload.
RUN npm ci --no-audit --no-fund && npm run build:payload && npm prune --omit=dev --no-audit --no-fund
ENV SMTP_FLEET_STORE=/fleet/store SMTP_FLEET_INVENTORY=/fleet/inventory.yml
ENTRYPOINT ["node", "dist/controller/cli.js"]
CMD ["--help"]

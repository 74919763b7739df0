# Image for container platforms (deploy/docker-compose.yml). Not used by development or CI here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/node_modules ./node_modules
USER node
ENTRYPOINT ["node", "bin/insider.js"]

# A Chainlab node in a container: `podman build -t chainlab .` (or docker build), then
# `chainlab devnet compose --nodes 4` writes a compose file for a network of them (docs/containers.md).
#
# The two images are build arguments so that a machine without a registry can use images of its own
# (the container test builds both from a Debian root file system and the machine's .NET SDK).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG BASE_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# The JavaScript client's modules, which the node embeds for its dashboard.
COPY clients/js/src/ clients/js/src/
RUN dotnet publish src/Chainlab.Cli -c Release -o /app --nologo

FROM ${BASE_IMAGE}
# A user of its own, not root; its data folder is a volume, so the chain outlives the container.
ARG UID=10001
RUN useradd --uid ${UID} --user-group --create-home --shell /usr/sbin/nologin chainlab \
 && mkdir -p /data && chown chainlab:chainlab /data
COPY --from=build /app /app
USER chainlab
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
VOLUME /data
# API and peers. Inside the container the node binds every interface of the container's own network;
# publish the API on the host's loopback only: -p 127.0.0.1:7700:8080.
EXPOSE 8080 30300
# Healthy when the node answers its status route (the CLI reads it; the image needs no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["dotnet", "/app/chainlab.dll", "chain", "info", "--node", "http://127.0.0.1:8080"]
ENTRYPOINT ["dotnet", "/app/chainlab.dll"]
CMD ["node", "run", "--data", "/data", "--listen", "0.0.0.0", "--port", "8080", "--p2p-listen", "0.0.0.0", "--p2p-port", "30300"]

# Stand-in for redis:7-alpine where public images cannot be pulled: a Debian bookworm minbase
# rootfs plus Debian's redis-server (7.0), run as the official image runs it: as the redis user,
# in /data, with protected mode off (docker-entrypoint.sh). Built by .ci/compose/standins.sh.
FROM modfleet-ci/bookworm-minbase:latest
# policy-rc.d: the package's postinst must not try to start a service inside the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
USER redis
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]

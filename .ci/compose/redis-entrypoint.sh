#!/bin/sh
# What the official redis image's entrypoint does for a command line without a config file:
# protected mode off, since the container network, not Redis, decides who can reach it.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server "$@" --protected-mode no
fi
exec "$@"

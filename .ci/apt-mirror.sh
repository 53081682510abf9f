# Sourced by CI scripts: the Debian mirror this machine's own apt uses, so that no mirror's host name
# is written in the repository. Reads the one-line format (/etc/apt/sources.list, sources.list.d/*.list)
# and the deb822 format (sources.list.d/*.sources); MODFLEET_CI_DEBIAN_MIRROR overrides both.

# apt_mirror_for <suite>: prints the first URI of a `deb` entry that carries <suite> (e.g. bookworm).
apt_mirror_for() {
  local suite=$1 file uri
  if [ -n "${MODFLEET_CI_DEBIAN_MIRROR:-}" ]; then
    echo "$MODFLEET_CI_DEBIAN_MIRROR"
    return 0
  fi
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$file" ] || continue
    # deb [options] uri suite components...
    uri=$(sed -E 's/#.*//; s/\[[^]]*\]//' "$file" |
      awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }')
    [ -n "$uri" ] && { echo "${uri%/}"; return 0; }
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -r "$file" ] || continue
    # Stanzas separated by blank lines; Types, URIs and Suites hold space-separated lists.
    # (a comment line is dropped whole: blanked, it would end the stanza it sits in)
    uri=$(sed '/^[[:space:]]*#/d' "$file" | awk -v suite="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && enabled != "no") {
          split(uris, list, " "); print list[1]; found = 1; exit
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      tolower($1) == "types:"   { $1 = ""; types = $0 }
      tolower($1) == "uris:"    { $1 = ""; sub(/^ +/, ""); uris = $0 }
      tolower($1) == "suites:"  { $1 = ""; suites = $0 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { if (!found) flush() }')
    [ -n "$uri" ] && { echo "${uri%/}"; return 0; }
  done
  echo "ci: no apt source for $suite in /etc/apt; set MODFLEET_CI_DEBIAN_MIRROR to a Debian mirror" >&2
  return 1
}

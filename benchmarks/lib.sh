# Shared by the benchmark scripts; sourced, never run. The caller defines say() before sourcing
# and calls bench_init_pause once its temp folder $work exists.

# Loopback only: static fake credentials, a fixed region, no instance metadata, profiles or
# proxies, and the JVM flags that ./hupd ships (HUPD_JAVA_OPTS is ignored while measuring).
bench_loopback_env() {
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_REGION=eu-west-1
  export AWS_DEFAULT_REGION=eu-west-1
  export AWS_ACCESS_KEY_ID=AKIDBENCHONLY
  export AWS_SECRET_ACCESS_KEY=bench-secret-not-real
  export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
  unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDFORMATION \
    HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy 2>/dev/null || true
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  if [ -n "${HUPD_JAVA_OPTS-}" ]; then
    say "note: ignoring HUPD_JAVA_OPTS='$HUPD_JAVA_OPTS' (measuring the shipped flags)"
  fi
  unset HUPD_JAVA_OPTS
  if [ -n "${JAVA_TOOL_OPTIONS-}${JDK_JAVA_OPTIONS-}" ]; then
    say "warning: JAVA_TOOL_OPTIONS/JDK_JAVA_OPTIONS are set and will change the figures"
  fi
  java_cmd=${JAVA:-java}
}

# Sub-second sleeps without forking: a read with a timeout on a FIFO nobody writes to.
bench_init_pause() {
  mkfifo "$work/pause.fifo"
  exec {pause_fd}<>"$work/pause.fifo"
}
pause() { # pause MILLISECONDS
  read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$pause_fd" _ || true
}
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

stop_pid() { # stop_pid PID TIMEOUT: SIGTERM, wait, SIGKILL; sets stopped_rc (exit status or "timeout")
  local pid=$1 limit=$2 waited=0
  stopped_rc=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((limit * 20)) ]; do
      pause 50
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      stopped_rc=timeout
      return 0
    fi
  fi
  wait "$pid" 2>/dev/null || stopped_rc=$?
}
forget_pid() { # forget_pid PID: drop it from $started_pids
  local p kept=""
  for p in $started_pids; do [ "$p" = "$1" ] || kept="$kept $p"; done
  started_pids=$kept
}
stale() { # stale TARGET PATH...: true when TARGET is missing or older than a file under PATHs
  local target=$1
  shift
  [ -e "$target" ] || return 0
  [ -n "$(find "$@" -type f -newer "$target" -print -quit 2>/dev/null)" ]
}
log_time_us() { # log_time_us LINE: the ISO timestamp that starts a hupd log line, in µs
  date -d "${1%% *}" +%s%6N
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

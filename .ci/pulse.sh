#!/usr/bin/env bash
# Start a user-level PulseAudio daemon whose null sink's monitor is the default source, so
# PortAudio (through ALSA's pulse plugin) sees a real input device on a machine with no
# sound card. Source this file: it exports XDG_RUNTIME_DIR and defines stop_virtual_audio.
# Facts behind each step: ../shared/ci-audio.md (measured on this machine kind).

start_virtual_audio() {
    export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR_FOR_PULSE:-$(mktemp -d)}"
    chmod 700 "$XDG_RUNTIME_DIR"
    pulseaudio -D -n --exit-idle-time=-1 --log-target="file:$XDG_RUNTIME_DIR/pulse.log" \
        --load=module-native-protocol-unix --load="module-null-sink sink_name=vsink" \
        >/dev/null 2>&1 || true
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    if ! pactl info >/dev/null 2>&1; then
        echo "virtual audio: PulseAudio did not start; audio tests will be skipped" >&2
        return 0
    fi
    pactl set-default-sink vsink
    pactl set-default-source vsink.monitor
    # A low-latency reader keeps the monitor source running; without it the first
    # callbacks arrive seconds late. Its output goes nowhere, stderr too (or CI can hang).
    parec --latency-msec=20 -d vsink.monitor >/dev/null 2>&1 &
    PAREC_PID=$!
    sleep 2.5
    echo "virtual audio: PulseAudio running, default source vsink.monitor" >&2
}

stop_virtual_audio() {
    if [[ -n "${PAREC_PID:-}" ]]; then kill "$PAREC_PID" 2>/dev/null || true; fi
    pactl exit >/dev/null 2>&1 || true
}

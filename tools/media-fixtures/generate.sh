#!/usr/bin/env bash
# Regenerates libs/format/media/test/fixtures: tiny recordings in every format callintake takes,
# hostile files (truncated, mislabelled, empty, garbage) and manifest.json. The manifest holds, for
# each recording, the facts ffprobe reports, so libs/format/media/src/fixtures.test.ts checks our
# probers against an independent oracle while CI needs neither ffmpeg nor sox: the output is
# committed.
#
# Needs ffmpeg and ffprobe (Debian 12 ships 5.1), sox and jq. Run from anywhere:
#   tools/media-fixtures/generate.sh
# It replaces the whole fixtures folder except README.md, so running it twice gives the same files
# (tones come from fixed expressions, muxers run with +bitexact, metadata is stripped).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/libs/format/media/test/fixtures"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ENTRIES="$WORK/.entries.jsonl"
: >"$ENTRIES"

for tool in ffmpeg ffprobe sox jq; do
  command -v "$tool" >/dev/null || {
    echo "generate.sh: $tool is required (apt-get install ffmpeg sox jq)" >&2
    exit 1
  }
done

# Duration tolerances, in seconds, chosen per fixture by what its container records:
# sample-exact headers (PCM sizes, FLAC STREAMINFO, raw GSM frames) leave only 3-decimal rounding;
SAMPLE_EXACT=0.002
# Ogg granules and Matroska Duration are exact up to a codec frame or Opus pre-skip;
FRAMED=0.1
# streams where the length has to be estimated (MPEG-PS: from first and last timestamps) are looser.
ESTIMATED=0.2

# For codecs with encoder delay and padding (MP3 from LAME, AAC priming, WMA), readers disagree
# about counting them: ffprobe counts LAME's delay in an MP3's length but lets an MP4 edit list
# remove AAC's priming. Allow 50 ms plus two codec frames, rounded up to 10 ms.
# delay_tolerance <samples per codec frame> <sample rate>
delay_tolerance() {
  awk -v frame="$1" -v rate="$2" 'BEGIN { t = 0.05 + 2 * frame / rate; printf "%.2f\n", int(t * 100 + 0.999) / 100 }'
}

# Our container vocabulary, keyed by ffprobe's format_name. m4a and mp4 are one container (ISO
# BMFF): 'mp4', with the codec telling AAC from anything else.
CONTAINERS='{
  "wav": "wav",
  "mp3": "mp3",
  "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
  "mpeg": "mpeg-ps",
  "asf": "asf",
  "matroska,webm": "webm",
  "aiff": "aiff",
  "flac": "flac",
  "ogg": "ogg",
  "au": "au",
  "gsm": "gsm"
}'

run_ffmpeg() {
  ffmpeg -nostdin -hide_banner -loglevel error -y "$@"
}

# A fixed tone as a lavfi source: 440 Hz, and 660 Hz on the right channel so a stereo file's
# channels differ (a probe that merged them would not be caught by identical channels).
tone() {
  local channels=$1 rate=$2 seconds=$3
  if [[ $channels == 1 ]]; then
    echo "aevalsrc=0.3*sin(440*2*PI*t):s=$rate:d=$seconds"
  else
    echo "aevalsrc=0.3*sin(440*2*PI*t)|0.3*sin(660*2*PI*t):s=$rate:d=$seconds"
  fi
}

# A tiny moving test picture for the files that carry video next to the audio.
picture() {
  local seconds=$1 rate=$2
  echo "testsrc=size=64x48:rate=$rate:duration=$seconds"
}

# audio <file> <channels> <rate> <seconds> <ffmpeg output options...>
audio() {
  local file=$1 channels=$2 rate=$3 seconds=$4
  shift 4
  run_ffmpeg -f lavfi -i "$(tone "$channels" "$rate" "$seconds")" \
    -map_metadata -1 -fflags +bitexact -flags +bitexact "$@" "$WORK/$file"
}

# audio_video <file> <channels> <rate> <seconds> <fps> <ffmpeg output options...>
# The video stream comes first, so a prober has to look for the audio track, not take track 1.
audio_video() {
  local file=$1 channels=$2 rate=$3 seconds=$4 fps=$5
  shift 5
  run_ffmpeg -f lavfi -i "$(tone "$channels" "$rate" "$seconds")" -f lavfi -i "$(picture "$seconds" "$fps")" \
    -map 1:v -map 0:a -map_metadata -1 -fflags +bitexact -flags +bitexact "$@" "$WORK/$file"
}

# Deterministic noise bytes: ffmpeg's seeded white noise as raw 16-bit samples.
noise_bytes() {
  local bytes=$1 seed=$2
  run_ffmpeg -f lavfi -i "anoisesrc=colour=white:amplitude=1:seed=$seed:sample_rate=8000:duration=1" \
    -f s16le -c:a pcm_s16le "$WORK/.noise"
  head -c "$bytes" "$WORK/.noise"
}

# First <percent>% of <source>, whole bytes.
cut_percent() {
  local source=$1 percent=$2 file=$3
  local size
  size=$(stat -c %s "$WORK/$source")
  head -c $((size * percent / 100)) "$WORK/$source" >"$WORK/$file"
}

extension_of() {
  local name=${1##*.}
  echo "${name,,}"
}

# What ffprobe makes of a file, as JSON: its format and streams, or its error message.
ffprobe_view() {
  local file=$1 json error
  if json=$(cd "$WORK" && ffprobe -v error -show_format -show_streams -of json "$file" 2>"$WORK/.ffprobe-error"); then
    jq -c '{
      formatName: .format.format_name,
      durationSec: (if .format.duration then (.format.duration | tonumber) else null end),
      streams: [.streams[] | "\(.codec_type):\(.codec_name)"]
    }' <<<"$json"
  else
    # Drop the log context's pointer ("[mp3 @ 0x55b3...]"): it changes on every run.
    error=$(tr '\n' ' ' <"$WORK/.ffprobe-error" | sed -e 's/ @ 0x[0-9a-f]*\]/]/g' -e 's/ *$//')
    jq -cn --arg error "$error" '{error: $error}'
  fi
}

# media <file> <nominal seconds> <tolerance> <how it was made>
# Records a well-formed recording: expected facts from ffprobe, checked against the tone's length.
media() {
  local file=$1 nominal=$2 tolerance=$3 made=$4
  local json
  json=$(cd "$WORK" && ffprobe -v error -show_format -show_streams -of json "$file")
  jq -c \
    --arg file "$file" \
    --arg extension "$(extension_of "$file")" \
    --argjson sizeBytes "$(stat -c %s "$WORK/$file")" \
    --argjson nominal "$nominal" \
    --argjson tolerance "$tolerance" \
    --arg made "$made" \
    --argjson containers "$CONTAINERS" \
    '
    (.streams | map(select(.codec_type == "audio")) | first) as $audio
    | if $audio == null then error("\($file): ffprobe finds no audio stream") else . end
    | ($containers[.format.format_name] // error("\($file): no container name for ffprobe format \(.format.format_name)")) as $container
    | (.format.duration | tonumber * 1000 | round / 1000) as $duration
    | if ($duration - $nominal | fabs) > $tolerance
      then error("\($file): ffprobe says \($duration) s, the tone lasts \($nominal) s; beyond the \($tolerance) s tolerance")
      else . end
    | {
        file: $file,
        kind: "media",
        extension: $extension,
        sizeBytes: $sizeBytes,
        made: $made,
        nominalDurationSec: $nominal,
        expect: {
          container: $container,
          codec: $audio.codec_name,
          channels: $audio.channels,
          sampleRateHz: ($audio.sample_rate | tonumber),
          durationSec: $duration,
          durationToleranceSec: $tolerance,
          speakerSeparation: (if $audio.channels >= 2 then "channels" else "diarization" end)
        },
        ffprobe: {
          formatName: .format.format_name,
          streams: [.streams[] | "\(.codec_type):\(.codec_name)"]
        }
      }
    ' <<<"$json" >>"$ENTRIES"
}

# hostile <file> <reason code> <what the content looks like, or ""> <how it was made> <why>
# Records a file probeMedia must reject. The expectation is ours (by construction), not ffprobe's;
# what ffprobe made of it is kept alongside for the record.
hostile() {
  local file=$1 code=$2 looks_like=$3 made=$4 why=$5
  jq -cn \
    --arg file "$file" \
    --arg extension "$(extension_of "$file")" \
    --argjson sizeBytes "$(stat -c %s "$WORK/$file")" \
    --arg code "$code" \
    --arg looksLike "$looks_like" \
    --arg made "$made" \
    --arg why "$why" \
    --argjson ffprobe "$(ffprobe_view "$file")" \
    '{
      file: $file,
      kind: "hostile",
      extension: $extension,
      sizeBytes: $sizeBytes,
      made: $made,
      expectRejection: ({code: $code} + (if $looksLike == "" then {} else {looksLike: $looksLike} end)),
      why: $why,
      ffprobe: $ffprobe
    }' >>"$ENTRIES"
}

# unprobed <file> <how it was made>: a format we accept without reading (WebEx arf).
unprobed() {
  local file=$1 made=$2
  jq -cn \
    --arg file "$file" \
    --arg extension "$(extension_of "$file")" \
    --argjson sizeBytes "$(stat -c %s "$WORK/$file")" \
    --arg made "$made" \
    '{
      file: $file,
      kind: "unprobed",
      extension: $extension,
      sizeBytes: $sizeBytes,
      made: $made,
      expect: {container: $extension, probed: false}
    }' >>"$ENTRIES"
}

# ---------------------------------------------------------------------------------------------
# Well-formed recordings. Mono tones last 1.5 s, stereo ones 1.25 s, so a prober that mixed up
# fields would not land on the right duration by luck.

# WAV
audio wav-pcm_s16le-mono.wav 1 8000 1.5 -c:a pcm_s16le
media wav-pcm_s16le-mono.wav 1.5 $SAMPLE_EXACT "ffmpeg -c:a pcm_s16le, 8 kHz mono"
audio wav-pcm_s16le-stereo.wav 2 11025 1.25 -c:a pcm_s16le
media wav-pcm_s16le-stereo.wav 1.25 $SAMPLE_EXACT "ffmpeg -c:a pcm_s16le, 11.025 kHz stereo"
audio wav-pcm_mulaw-mono.wav 1 8000 1.5 -c:a pcm_mulaw
media wav-pcm_mulaw-mono.wav 1.5 $SAMPLE_EXACT "ffmpeg -c:a pcm_mulaw (G.711 u-law), 8 kHz mono"
audio wav-pcm_mulaw-stereo.wav 2 8000 1.25 -c:a pcm_mulaw
media wav-pcm_mulaw-stereo.wav 1.25 $SAMPLE_EXACT "ffmpeg -c:a pcm_mulaw (G.711 u-law), 8 kHz stereo"
# GSM 06.10 in WAV (Microsoft's 65-byte blocks) exists in mono only.
audio wav-gsm_ms-mono.wav 1 8000 1.5 -c:a libgsm_ms
media wav-gsm_ms-mono.wav 1.5 0.05 "ffmpeg -c:a libgsm_ms (GSM 06.10, WAVE_FORMAT_GSM610), 8 kHz mono"

# MP3: MPEG-1 (44.1 kHz), MPEG-2 (16 kHz) and MPEG-2.5 (8 kHz, common for telephony); CBR with
# LAME's Info header, VBR with a Xing header, CBR with no header at all, and one behind an ID3v2
# tag large enough that the first frame is not at the start.
audio mp3-cbr-mono.mp3 1 16000 1.5 -c:a libmp3lame -b:a 24k -id3v2_version 0
media mp3-cbr-mono.mp3 1.5 "$(delay_tolerance 576 16000)" "ffmpeg -c:a libmp3lame -b:a 24k (CBR, LAME Info header), 16 kHz mono, no ID3"
audio mp3-cbr-stereo.mp3 2 44100 1.25 -c:a libmp3lame -b:a 32k -id3v2_version 0
media mp3-cbr-stereo.mp3 1.25 "$(delay_tolerance 1152 44100)" "ffmpeg -c:a libmp3lame -b:a 32k (CBR, LAME Info header), 44.1 kHz stereo, no ID3"
audio mp3-cbr-8k-mono.mp3 1 8000 1.5 -c:a libmp3lame -b:a 16k -id3v2_version 0
media mp3-cbr-8k-mono.mp3 1.5 "$(delay_tolerance 576 8000)" "ffmpeg -c:a libmp3lame -b:a 16k (CBR, LAME Info header), 8 kHz (MPEG-2.5) mono, no ID3"
audio mp3-vbr-mono.mp3 1 16000 1.5 -c:a libmp3lame -q:a 7 -id3v2_version 0
media mp3-vbr-mono.mp3 1.5 "$(delay_tolerance 576 16000)" "ffmpeg -c:a libmp3lame -q:a 7 (VBR, Xing header), 16 kHz mono, no ID3"
audio mp3-vbr-stereo.mp3 2 22050 1.25 -c:a libmp3lame -q:a 7 -id3v2_version 0
media mp3-vbr-stereo.mp3 1.25 "$(delay_tolerance 576 22050)" "ffmpeg -c:a libmp3lame -q:a 7 (VBR, Xing header), 22.05 kHz stereo, no ID3"
audio mp3-cbr-noxing-mono.mp3 1 16000 1.5 -c:a libmp3lame -b:a 24k -id3v2_version 0 -write_xing 0
media mp3-cbr-noxing-mono.mp3 1.5 $ESTIMATED "ffmpeg -c:a libmp3lame -b:a 24k -write_xing 0 (CBR, no Xing/Info header: duration from bit rate), 16 kHz mono"
audio mp3-id3v2-stereo.mp3 2 16000 1.25 -c:a libmp3lame -b:a 32k -id3v2_version 3 \
  -metadata title="Call 20171012-140253" -metadata comment="$(printf 'padding %.0s' {1..400})"
media mp3-id3v2-stereo.mp3 1.25 "$(delay_tolerance 576 16000)" "ffmpeg -c:a libmp3lame -b:a 32k, ID3v2.3 tag (title and a 3.2 KB comment) before the first frame, 16 kHz stereo"

# MP4 / M4A (ISO BMFF): ffmpeg's native AAC-LC encoder. The m4a files go through the ipod muxer
# (ftyp M4A), the mp4 ones through mp4 (ftyp isom). Mono AAC is the case some parsers get wrong.
audio m4a-aac-mono.m4a 1 16000 1.5 -c:a aac -b:a 24k
media m4a-aac-mono.m4a 1.5 "$(delay_tolerance 1024 16000)" "ffmpeg -c:a aac (AAC-LC) -b:a 24k, 16 kHz mono, moov after mdat (ffmpeg's default)"
audio m4a-aac-stereo.m4a 2 16000 1.25 -c:a aac -b:a 32k
media m4a-aac-stereo.m4a 1.25 "$(delay_tolerance 1024 16000)" "ffmpeg -c:a aac (AAC-LC) -b:a 32k, 16 kHz stereo, moov after mdat (ffmpeg's default)"
audio m4a-aac-mono-faststart.m4a 1 8000 1.5 -c:a aac -b:a 16k -movflags +faststart
media m4a-aac-mono-faststart.m4a 1.5 "$(delay_tolerance 1024 8000)" "ffmpeg -c:a aac (AAC-LC) -b:a 16k -movflags +faststart, 8 kHz mono, moov before mdat"
audio m4a-aac-stereo-faststart.m4a 2 16000 1.25 -c:a aac -b:a 32k -movflags +faststart
media m4a-aac-stereo-faststart.m4a 1.25 "$(delay_tolerance 1024 16000)" "ffmpeg -c:a aac (AAC-LC) -b:a 32k -movflags +faststart, 16 kHz stereo, moov before mdat"
audio mp4-aac-mono.mp4 1 16000 1.5 -c:a aac -b:a 24k
media mp4-aac-mono.mp4 1.5 "$(delay_tolerance 1024 16000)" "ffmpeg -f mp4 -c:a aac (AAC-LC) -b:a 24k, audio only, 16 kHz mono"
audio_video mp4-mpeg4-aac-stereo.mp4 2 16000 1.25 25 -c:v mpeg4 -q:v 31 -c:a aac -b:a 32k
media mp4-mpeg4-aac-stereo.mp4 1.25 "$(delay_tolerance 1024 16000)" "ffmpeg -f mp4, track 1 MPEG-4 Part 2 video 64x48 25 fps, track 2 AAC-LC 16 kHz stereo"

# MPEG program stream: MPEG-1 systems (-f mpeg) and MPEG-2 (-f vob) pack headers, MP2 audio.
audio mpg-mp2-mono.mpg 1 32000 1.5 -c:a mp2 -b:a 128k -f mpeg
media mpg-mp2-mono.mpg 1.5 $ESTIMATED "ffmpeg -f mpeg (MPEG-1 systems) -c:a mp2 -b:a 128k, 32 kHz mono, audio only"
audio mpg-mp2-stereo.mpg 2 32000 1.25 -c:a mp2 -b:a 128k -f mpeg
media mpg-mp2-stereo.mpg 1.25 $ESTIMATED "ffmpeg -f mpeg (MPEG-1 systems) -c:a mp2 -b:a 128k, 32 kHz stereo, audio only"
audio_video mpeg-mpeg1video-mp2-stereo.mpeg 2 32000 1.25 25 -c:v mpeg1video -q:v 31 -c:a mp2 -b:a 128k -f mpeg
media mpeg-mpeg1video-mp2-stereo.mpeg 1.25 $ESTIMATED "ffmpeg -f mpeg (MPEG-1 systems), MPEG-1 video 64x48 25 fps and MP2 128k 32 kHz stereo"
audio_video mpeg-vob-mpeg2video-mp2-mono.mpeg 1 48000 1.5 25 -c:v mpeg2video -q:v 31 -c:a mp2 -b:a 128k -f vob
media mpeg-vob-mpeg2video-mp2-mono.mpeg 1.5 $ESTIMATED "ffmpeg -f vob (MPEG-2 program stream), MPEG-2 video 64x48 25 fps and MP2 128k 48 kHz mono"

# ASF: WMA (wmav2) and WMV (wmv2 video with wmav2 audio).
audio wma-wmav2-mono.wma 1 16000 1.5 -c:a wmav2 -b:a 24k
media wma-wmav2-mono.wma 1.5 "$(delay_tolerance 512 16000)" "ffmpeg -c:a wmav2 -b:a 24k, 16 kHz mono"
audio wma-wmav2-stereo.wma 2 16000 1.25 -c:a wmav2 -b:a 32k
media wma-wmav2-stereo.wma 1.25 "$(delay_tolerance 512 16000)" "ffmpeg -c:a wmav2 -b:a 32k, 16 kHz stereo"
audio_video wmv-wmv2-wmav2-stereo.wmv 2 16000 1.25 25 -c:v wmv2 -q:v 31 -c:a wmav2 -b:a 32k
media wmv-wmv2-wmav2-stereo.wmv 1.25 "$(delay_tolerance 512 16000)" "ffmpeg -f asf, WMV8 (wmv2) video 64x48 25 fps and wmav2 32k 16 kHz stereo"

# WebM (Matroska): Opus and Vorbis audio, and one with VP8 video. Opus decodes at 48 kHz whatever
# it was fed, so ffprobe (and the manifest) report 48000 for it.
audio webm-opus-mono.webm 1 16000 1.5 -c:a libopus -b:a 16k
media webm-opus-mono.webm 1.5 $FRAMED "ffmpeg -c:a libopus -b:a 16k, fed 16 kHz mono (Opus reports 48 kHz)"
audio webm-opus-stereo.webm 2 16000 1.25 -c:a libopus -b:a 24k
media webm-opus-stereo.webm 1.25 $FRAMED "ffmpeg -c:a libopus -b:a 24k, fed 16 kHz stereo (Opus reports 48 kHz)"
audio webm-vorbis-mono.webm 1 16000 1.5 -c:a libvorbis -q:a 0
media webm-vorbis-mono.webm 1.5 $FRAMED "ffmpeg -c:a libvorbis -q:a 0, 16 kHz mono"
audio webm-vorbis-stereo.webm 2 16000 1.25 -c:a libvorbis -q:a 0
media webm-vorbis-stereo.webm 1.25 $FRAMED "ffmpeg -c:a libvorbis -q:a 0, 16 kHz stereo"
audio_video webm-vp8-opus-stereo.webm 2 16000 1.25 25 -c:v libvpx -b:v 20k -threads 1 -c:a libopus -b:a 24k
media webm-vp8-opus-stereo.webm 1.25 $FRAMED "ffmpeg, track 1 VP8 video 64x48 25 fps, track 2 Opus 24k fed 16 kHz stereo"

# AIFF: plain AIFF from ffmpeg (.aiff and .aif), AIFF-C with u-law, and one written by sox.
audio aiff-pcm_s16be-mono.aiff 1 8000 1.5 -c:a pcm_s16be
media aiff-pcm_s16be-mono.aiff 1.5 $SAMPLE_EXACT "ffmpeg -f aiff -c:a pcm_s16be, 8 kHz mono"
audio aif-pcm_s16be-stereo.aif 2 8000 1.25 -c:a pcm_s16be
media aif-pcm_s16be-stereo.aif 1.25 $SAMPLE_EXACT "ffmpeg -f aiff -c:a pcm_s16be, 8 kHz stereo, .aif extension"
audio aifc-pcm_mulaw-mono.aiff 1 8000 1.5 -c:a pcm_mulaw
media aifc-pcm_mulaw-mono.aiff 1.5 $SAMPLE_EXACT "ffmpeg -f aiff -c:a pcm_mulaw: FORM/AIFC with ulaw compression, 8 kHz mono"
sox -D -V1 -n -r 8000 -c 2 -b 16 "$WORK/aif-sox-pcm_s16be-stereo.aif" synth 1.25 sine 440 sine 660 vol 0.3
# sox puts a COMT chunk ("Processed by SoX") before COMM, stamped with the current time: keep the
# chunk (probers must step over it) but zero the stamp so the file is the same on every run.
[[ $(head -c 16 "$WORK/aif-sox-pcm_s16be-stereo.aif" | tail -c 4) == COMT ]] || {
  echo "generate.sh: sox no longer writes COMT first; revisit the timestamp patch" >&2
  exit 1
}
printf '\0\0\0\0' | dd of="$WORK/aif-sox-pcm_s16be-stereo.aif" bs=1 seek=22 conv=notrunc status=none
media aif-sox-pcm_s16be-stereo.aif 1.25 $SAMPLE_EXACT "sox synth, AIFF 16-bit, 8 kHz stereo, with a COMT chunk before COMM (timestamp zeroed)"

# FLAC
audio flac-mono.flac 1 8000 1.5 -c:a flac
media flac-mono.flac 1.5 $SAMPLE_EXACT "ffmpeg -c:a flac, 16-bit 8 kHz mono"
audio flac-stereo.flac 2 11025 1.25 -c:a flac
media flac-stereo.flac 1.25 $SAMPLE_EXACT "ffmpeg -c:a flac, 16-bit 11.025 kHz stereo"

# Ogg: Vorbis and Opus.
audio ogg-vorbis-mono.ogg 1 16000 1.5 -c:a libvorbis -q:a 0
media ogg-vorbis-mono.ogg 1.5 $FRAMED "ffmpeg -f ogg -c:a libvorbis -q:a 0, 16 kHz mono"
audio ogg-vorbis-stereo.ogg 2 16000 1.25 -c:a libvorbis -q:a 0
media ogg-vorbis-stereo.ogg 1.25 $FRAMED "ffmpeg -f ogg -c:a libvorbis -q:a 0, 16 kHz stereo"
audio ogg-opus-mono.ogg 1 16000 1.5 -c:a libopus -b:a 16k
media ogg-opus-mono.ogg 1.5 $FRAMED "ffmpeg -f ogg -c:a libopus -b:a 16k, fed 16 kHz mono (Opus reports 48 kHz)"
audio ogg-opus-stereo.ogg 2 16000 1.25 -c:a libopus -b:a 24k
media ogg-opus-stereo.ogg 1.25 $FRAMED "ffmpeg -f ogg -c:a libopus -b:a 24k, fed 16 kHz stereo (Opus reports 48 kHz)"

# Sun/NeXT AU
audio au-pcm_mulaw-mono.au 1 8000 1.5 -c:a pcm_mulaw
media au-pcm_mulaw-mono.au 1.5 $SAMPLE_EXACT "ffmpeg -f au -c:a pcm_mulaw, 8 kHz mono"
audio au-pcm_mulaw-stereo.au 2 8000 1.25 -c:a pcm_mulaw
media au-pcm_mulaw-stereo.au 1.25 $SAMPLE_EXACT "ffmpeg -f au -c:a pcm_mulaw, 8 kHz stereo"
audio au-pcm_s16be-mono.au 1 8000 1.5 -c:a pcm_s16be
media au-pcm_s16be-mono.au 1.5 $SAMPLE_EXACT "ffmpeg -f au -c:a pcm_s16be, 8 kHz mono"
audio au-pcm_s16be-stereo.au 2 8000 1.25 -c:a pcm_s16be
media au-pcm_s16be-stereo.au 1.25 $SAMPLE_EXACT "ffmpeg -f au -c:a pcm_s16be, 8 kHz stereo"

# Raw GSM 06.10: 33-byte frames of 160 samples, 8 kHz mono only; no header at all.
audio gsm-mono.gsm 1 8000 1.5 -c:a libgsm -f gsm
media gsm-mono.gsm 1.5 $SAMPLE_EXACT "ffmpeg -f gsm -c:a libgsm, 8 kHz mono"
sox -D -V1 -n -r 8000 -c 1 "$WORK/gsm-sox-mono.gsm" synth 2 sine 440 vol 0.3
media gsm-sox-mono.gsm 2 $SAMPLE_EXACT "sox synth 2 s to .gsm, 8 kHz mono"

# ---------------------------------------------------------------------------------------------
# WebEx ARF: no public parser; accepted unprobed, never read.
noise_bytes 4096 11 >"$WORK/unprobed.arf"
unprobed unprobed.arf "4096 bytes of seeded noise named .arf"

# ---------------------------------------------------------------------------------------------
# Hostile files.

printf 'caller_id,agent,started\n5551234,joe@example.com,2017-10-12T14:02:53Z\n' >"$WORK/text.mp3"
hostile text.mp3 format-mismatch "plain text" "a CSV row saved as .mp3" \
  "customers upload metadata under a recording's name"

: >"$WORK/empty.wav"
hostile empty.wav empty-file "" "0 bytes" "an upload that never got its body"

cut_percent wav-pcm_s16le-mono.wav 60 wav-truncated.wav
hostile wav-truncated.wav corrupt-media "" "first 60% of wav-pcm_s16le-mono.wav" \
  "the data chunk declares more bytes than the file holds"
head -c 20 "$WORK/wav-pcm_s16le-stereo.wav" >"$WORK/wav-truncated-header.wav"
hostile wav-truncated-header.wav corrupt-media "" "first 20 bytes of wav-pcm_s16le-stereo.wav" \
  "the file ends inside the fmt chunk"

cut_percent flac-stereo.flac 60 flac-truncated.flac
hostile flac-truncated.flac corrupt-media "" "first 60% of flac-stereo.flac" \
  "STREAMINFO counts more samples than the frames present hold: the last frame header near the end of the file is far from the total (a tail read finds it)"

cut_percent m4a-aac-stereo.m4a 60 m4a-truncated-no-moov.m4a
hostile m4a-truncated-no-moov.m4a corrupt-media "" "first 60% of m4a-aac-stereo.m4a (moov after mdat)" \
  "the moov box was at the end and is gone: mdat runs past the end of the file and no moov exists"
cut_percent m4a-aac-mono-faststart.m4a 60 m4a-faststart-truncated.m4a
hostile m4a-faststart-truncated.m4a corrupt-media "" "first 60% of m4a-aac-mono-faststart.m4a (moov before mdat)" \
  "moov is intact but mdat declares more bytes than the file holds"

# Cut 60% in, then 7 bytes further so the cut falls inside a frame rather than on a boundary.
size=$(stat -c %s "$WORK/mp3-cbr-mono.mp3")
head -c $((size * 60 / 100 + 7)) "$WORK/mp3-cbr-mono.mp3" >"$WORK/mp3-truncated.mp3"
hostile mp3-truncated.mp3 corrupt-media "" "first 60% (+7 bytes, mid-frame) of mp3-cbr-mono.mp3" \
  "the LAME Info header counts more bytes and frames than the file holds"

cut_percent ogg-opus-stereo.ogg 60 ogg-truncated.ogg
hostile ogg-truncated.ogg corrupt-media "" "first 60% of ogg-opus-stereo.ogg, inside the audio pages" \
  "the last Ogg page is cut short (its segment table declares more bytes than remain) and no end-of-stream page exists"
# Vorbis's setup header fills a page of about 3.5 KB, so a cut at 40% falls inside the headers.
cut_percent ogg-vorbis-stereo.ogg 40 ogg-truncated-headers.ogg
hostile ogg-truncated-headers.ogg corrupt-media "" "first 40% of ogg-vorbis-stereo.ogg, inside the Vorbis setup header page" \
  "the file ends inside the codec headers: no audio page at all"

cut_percent webm-opus-stereo.webm 60 webm-truncated.webm
hostile webm-truncated.webm corrupt-media "" "first 60% of webm-opus-stereo.webm" \
  "the Segment element declares more bytes than the file holds"

cut_percent wma-wmav2-stereo.wma 60 wma-truncated.wma
hostile wma-truncated.wma corrupt-media "" "first 60% of wma-wmav2-stereo.wma" \
  "the ASF Data Object declares more bytes than the file holds"

cut_percent aiff-pcm_s16be-mono.aiff 60 aiff-truncated.aiff
hostile aiff-truncated.aiff corrupt-media "" "first 60% of aiff-pcm_s16be-mono.aiff" \
  "the SSND chunk declares more bytes than the file holds"

cut_percent au-pcm_s16be-stereo.au 60 au-truncated.au
hostile au-truncated.au corrupt-media "" "first 60% of au-pcm_s16be-stereo.au" \
  "the header's data size is larger than what follows it"

# Right content, wrong extension.
cp "$WORK/flac-mono.flac" "$WORK/flac-named.mp3"
hostile flac-named.mp3 format-mismatch "FLAC" "flac-mono.flac renamed .mp3" "FLAC content under an MP3 name"
cp "$WORK/mp3-cbr-mono.mp3" "$WORK/mp3-named.wav"
hostile mp3-named.wav format-mismatch "MP3" "mp3-cbr-mono.mp3 renamed .wav" "MP3 content under a WAV name"
cp "$WORK/wav-pcm_s16le-mono.wav" "$WORK/wav-named.m4a"
hostile wav-named.m4a format-mismatch "WAV" "wav-pcm_s16le-mono.wav renamed .m4a" "WAV content under an M4A name"
cp "$WORK/m4a-aac-mono.m4a" "$WORK/m4a-named.mp3"
hostile m4a-named.mp3 format-mismatch "MP4" "m4a-aac-mono.m4a renamed .mp3" "AAC in MP4 under an MP3 name"
cp "$WORK/ogg-opus-mono.ogg" "$WORK/ogg-named.webm"
hostile ogg-named.webm format-mismatch "Ogg" "ogg-opus-mono.ogg renamed .webm" "Ogg content under a WebM name"
cp "$WORK/wav-gsm_ms-mono.wav" "$WORK/wav-named.gsm"
hostile wav-named.gsm format-mismatch "WAV" "wav-gsm_ms-mono.wav renamed .gsm" \
  "raw GSM has no magic number, but content that announces another container is not raw GSM"

# Garbage where a header promised a recording.
ftyp_size=$(od -An -N4 -tu1 "$WORK/mp4-aac-mono.mp4" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
{
  head -c "$ftyp_size" "$WORK/mp4-aac-mono.mp4"
  noise_bytes 4000 23
} >"$WORK/ftyp-garbage.mp4"
hostile ftyp-garbage.mp4 corrupt-media "" "the $ftyp_size-byte ftyp box of mp4-aac-mono.mp4, then 4000 bytes of seeded noise" \
  "an MP4 signature followed by boxes that make no sense and no moov"
noise_bytes 3300 37 >"$WORK/noise.gsm"
hostile noise.gsm corrupt-media "" "3300 bytes (100 frames' worth) of seeded noise named .gsm" \
  "raw GSM frames each start with the 0xD signature nibble; noise does not"

# ---------------------------------------------------------------------------------------------
# Swap the new set in and write the manifest.

find "$OUT" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$OUT"
jq -s \
  --arg ffmpeg "$(ffmpeg -version | head -n 1 | cut -d ' ' -f 3)" \
  --arg sox "$(sox --version | sed 's/.*SoX //')" \
  '{
    about: "Expected probe results for the files in this folder. Generated by tools/media-fixtures/generate.sh; do not edit by hand.",
    generatedWith: {ffmpeg: $ffmpeg, sox: $sox},
    oracle: {
      fromFfprobe: ["container", "codec", "channels", "sampleRateHz", "durationSec"],
      derived: ["speakerSeparation (channels >= 2 means channels, else diarization)", "sizeBytes (file length)"],
      byConstruction: ["expectRejection (hostile files)", "expect of unprobed files", "durationToleranceSec"],
      containerFromFfprobeFormatName: $containers,
      note: "container is ffprobe format_name in our vocabulary; codec is the codec_name of the first audio stream; durationSec is the format duration rounded to 3 decimals; ffprobe -v error -show_format -show_streams -of json"
    },
    fixtures: .
  }' --argjson containers "$CONTAINERS" "$ENTRIES" >"$OUT/manifest.json"
find "$WORK" -mindepth 1 -maxdepth 1 ! -name '.*' -exec mv -t "$OUT" {} +

count=$(jq '.fixtures | length' "$OUT/manifest.json")
total=$(du -cb "$OUT"/* | tail -n 1 | cut -f 1)
echo "generate.sh: $count fixtures, $total bytes in ${OUT#"$ROOT"/}"

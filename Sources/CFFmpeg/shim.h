// Re-exports what Swift cannot import from libav's headers: function-like macros and
// constants built from them. Nothing else lives in C.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/cpu.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/sha.h>

/// AVERROR(EAGAIN): the send/receive loop wants more input or output first.
static inline int cff_error_eagain(void) { return AVERROR(EAGAIN); }
/// AVERROR_EOF: the end of the stream.
static inline int cff_error_eof(void) { return AVERROR_EOF; }
/// AVERROR_INVALIDDATA: corrupt input.
static inline int cff_error_invalid_data(void) { return AVERROR_INVALIDDATA; }
/// AVERROR(ENOMEM).
static inline int cff_error_enomem(void) { return AVERROR(ENOMEM); }
/// AVERROR(errno) for an arbitrary POSIX error number.
static inline int cff_error_from_errno(int e) { return AVERROR(e); }
/// AV_NOPTS_VALUE: no timestamp.
static const int64_t cff_nopts_value = AV_NOPTS_VALUE;
/// AV_TIME_BASE (microseconds per second for format-level times).
static const int cff_time_base = AV_TIME_BASE;
/// AV_FRAME_FLAG_CORRUPT.
static const int cff_frame_flag_corrupt = AV_FRAME_FLAG_CORRUPT;
/// AV_FRAME_FLAG_KEY is not in FFmpeg 5.1; key frames are marked by AVFrame.key_frame.

#endif

#!/usr/bin/env python3
"""Writes the small hand-made WAV seeds in wav/ (one per layout the parser accepts)."""
import math
import os
import struct

GUID_TAIL = bytes([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71])


def sample_bytes(v, tag, bits):
    if tag == 3:
        return struct.pack('<f' if bits == 32 else '<d', v)
    if bits == 8:
        return bytes([int(round(v * 127)) + 128])
    return int(round(v * (2 ** (bits - 1) - 1))).to_bytes(bits // 8, 'little', signed=True)


def wav(name, tag, bits, ch, rate, n=32, ext=False, extra=b'', data_size=None):
    align = ch * bits // 8
    fmt = struct.pack('<HHIIHH', 0xFFFE if ext else tag, ch, rate, rate * align, align, bits)
    if ext:
        fmt += struct.pack('<HHI', 22, bits, 0) + struct.pack('<H', tag) + GUID_TAIL
    data = b''.join(sample_bytes(0.5 * math.sin(2 * math.pi * i / 8), tag, bits)
                    for i in range(n) for _ in range(ch))
    body = b'WAVE' + extra + b'fmt ' + struct.pack('<I', len(fmt)) + fmt
    body += b'data' + struct.pack('<I', len(data) if data_size is None else data_size) + data
    with open(os.path.join(os.path.dirname(__file__), 'wav', name), 'wb') as f:
        f.write(b'RIFF' + struct.pack('<I', len(body)) + body)


wav('pcm16_mono.wav', 1, 16, 1, 16000)
wav('pcm8_mono.wav', 1, 8, 1, 8000)
wav('pcm24_stereo.wav', 1, 24, 2, 44100)
wav('pcm32_ext_6ch.wav', 1, 32, 6, 48000, n=8, ext=True)
wav('float32_ext.wav', 3, 32, 2, 22050, ext=True)
wav('float64.wav', 3, 64, 1, 8000, n=16)
wav('list_odd_chunk.wav', 1, 16, 1, 16000, extra=b'LIST' + struct.pack('<I', 3) + b'abc\0')
wav('streaming_size.wav', 1, 16, 1, 16000, data_size=0xFFFFFFFF)

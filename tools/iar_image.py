#!/usr/bin/python3
"""iar_image.py — the model's image input in numpy, bit for bit as the C code computes it.

`prepare_images(paths, S)` returns the (5, 3, S, S) float32 tensor that model_prepare_images
(src/model/model_images.c) writes: each image decoded, alpha dropped over white (image_to_rgb),
letterboxed into S×S (the longer side resized to S with image_resize's box filter / bilinear
upscale from src/image/filter.c, the shorter one padded equally with 0), scaled from [0, 255] to
[-1, 1], channel-major. The float arithmetic follows the C loops operation by operation in float32
(the C build uses -std=c11, so no fused multiply-adds), which makes the result identical, not close.

PNG is decoded here (zlib + the five row filters + Adam7), with libpng's transforms as
src/image/png_codec.c asks for them: 16-bit samples keep their high byte, palettes and grey
become RGB, 1/2/4-bit grey is scaled to 8 bits, tRNS becomes alpha. JPEG needs Pillow
(Debian's python3-pil, which decodes with the same libjpeg-turbo defaults); without it, convert the
JPEG to PNG or pass the tensor the C side prepared (tools/iar_torch.py --images-f32).

    /usr/bin/python3 tools/iar_image.py S OUT.f32 ORIGINAL A B C D   # writes the raw little-endian tensor
"""
import math
import struct
import sys
import zlib

import numpy as np

IMAGES = 5
MAX_PIXELS = 40 * 1000 * 1000  # IMAGE_DEFAULT_MAX_PIXELS (src/image/image.h)
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel of each PNG colour type


class ImageError(Exception):
    pass


# ---- PNG ---------------------------------------------------------------------------------------

def png_unfilter(data, at, rows, stride, bpp):
    """Undoes the per-row filters of one (sub)image of `rows` rows of `stride` bytes; returns
    (rows, stride) uint8 and the offset after it."""
    out = np.zeros((rows, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(rows):
        if at + 1 + stride > len(data):
            raise ImageError("PNG: image data ends early")
        kind = data[at]
        line = np.frombuffer(data, np.uint8, stride, at + 1).astype(np.int32)
        at += 1 + stride
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub: a running sum along each byte lane of the pixel
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) & 255
        elif kind == 2:  # Up
            cur = (line + prev) & 255
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one just decoded
            cur, up = line.tolist(), prev.tolist()
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 3:
                    cur[i] = (cur[i] + ((left + up[i]) >> 1)) & 255
                    continue
                corner = up[i - bpp] if i >= bpp else 0
                p = left + up[i] - corner
                pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up[i] if pb <= pc else corner)
                cur[i] = (cur[i] + predictor) & 255
            cur = np.array(cur, np.int32)
        else:
            raise ImageError(f"PNG: unknown row filter {kind}")
        out[y] = cur
        prev = cur
    return out, at


def png_samples(rows, width, depth, samples):
    """(h, stride) filtered-free bytes -> (h, width, samples) integer samples at their own depth."""
    h = rows.shape[0]
    if depth == 8:
        return rows[:, :width * samples].reshape(h, width, samples).astype(np.int32)
    if depth == 16:
        pairs = rows[:, :width * samples * 2].reshape(h, width * samples, 2).astype(np.int32)
        return (pairs[..., 0] * 256 + pairs[..., 1]).reshape(h, width, samples)
    bits = np.unpackbits(rows, axis=1)[:, :width * depth].reshape(h, width, depth).astype(np.int32)
    weights = 1 << np.arange(depth - 1, -1, -1)
    return (bits * weights).sum(axis=2).reshape(h, width, 1)


def png_decode(data):
    """PNG bytes -> (H, W, 3 or 4) uint8, as png_codec.c leaves it."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageError("not a PNG file")
    at, header, palette, trns, idat = 8, None, None, None, []
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ImageError("PNG: no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if colour not in CHANNELS or depth not in (1, 2, 4, 8, 16) or width < 1 or height < 1:
        raise ImageError(f"PNG: unsupported colour type {colour} / bit depth {depth}")
    if width * height > MAX_PIXELS:
        raise ImageError(f"PNG: {width}x{height} is over the {MAX_PIXELS}-pixel limit")
    samples = CHANNELS[colour]
    bpp = max(1, samples * depth // 8)
    raw = zlib.decompress(b"".join(idat))
    pixels = np.zeros((height, width, samples), np.int32)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    pos = 0
    for x0, y0, dx, dy in passes:
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w == 0 or h == 0:
            continue
        rows, pos = png_unfilter(raw, pos, h, (w * samples * depth + 7) // 8, bpp)
        pixels[y0::dy, x0::dx] = png_samples(rows, w, depth, samples)
    return png_transform(pixels, depth, colour, palette, trns)


def png_transform(pixels, depth, colour, palette, trns):
    """libpng's strip_16, palette_to_rgb, expand_gray_1_2_4_to_8, tRNS_to_alpha and gray_to_rgb."""
    alpha = None
    if colour == 3:
        if palette is None:
            raise ImageError("PNG: palette image without PLTE")
        index = np.clip(pixels[..., 0], 0, len(palette) - 1)
        rgb = palette[index].astype(np.int32)
        if trns is not None:
            table = np.full(256, 255, np.int32)
            table[:len(trns)] = np.frombuffer(trns, np.uint8)
            alpha = table[pixels[..., 0]]
        return assemble(rgb, alpha)
    colour_samples = 1 if colour in (0, 4) else 3
    colours = pixels[..., :colour_samples]
    if trns is not None and colour in (0, 2):  # a colour key, compared at the file's depth
        key = np.array(struct.unpack(f">{colour_samples}H", trns[:2 * colour_samples]), np.int32)
        alpha = np.where((colours == key).all(axis=2), 0, 255)
    if colour in (4, 6):
        alpha = pixels[..., colour_samples]
        alpha = alpha >> 8 if depth == 16 else alpha
    if depth == 16:
        colours = colours >> 8
    elif depth < 8:
        colours = colours * (255 // ((1 << depth) - 1))
    if colour_samples == 1:
        colours = np.repeat(colours, 3, axis=2)
    return assemble(colours, alpha)


def assemble(rgb, alpha):
    if alpha is None:
        return rgb.astype(np.uint8)
    return np.concatenate([rgb, alpha[..., None]], axis=2).astype(np.uint8)


def image_load(path):
    """Decodes PNG or JPEG by content (as image_load) -> (H, W, 3 or 4) uint8."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return png_decode(data)
        if data[:2] == b"\xff\xd8":
            return jpeg_decode(path)
    except ImageError as e:
        raise ImageError(f"{path}: {e}") from None
    except zlib.error as e:
        raise ImageError(f"{path}: PNG data does not inflate ({e})") from None
    raise ImageError(f"{path}: neither PNG nor JPEG")


def jpeg_decode(path):
    try:
        from PIL import Image  # Debian: python3-pil (libjpeg-turbo, islow DCT, fancy upsampling)
    except ImportError:
        raise ImageError("JPEG needs Pillow (apt-get install python3-pil); or convert it to PNG, or pass "
                         "the tensor the C side prepared") from None
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), np.uint8)


# ---- resize, letterbox, scale ------------------------------------------------------------------

def to_rgb(image):
    """image_to_rgb: RGBA composited over white with integer rounding."""
    if image.shape[2] == 3:
        return image
    rgb, a = image[..., :3].astype(np.uint32), image[..., 3:].astype(np.uint32)
    return ((rgb * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def resize_taps(in_size, out_size):
    """taps_build_resize: per output index, (source indices, float32 weights), padded with weight 0."""
    scale = in_size / out_size
    taps = []
    for i in range(out_size):
        row = []
        if scale > 1.0:  # every source pixel contributes its overlap with [i*s, (i+1)*s)
            lo, hi = i * scale, (i + 1) * scale
            j = math.floor(lo)
            while j < in_size and j < hi:
                overlap = min(hi, j + 1.0) - max(lo, float(j))
                if overlap > 1e-9:
                    row.append((j, np.float32(overlap / scale)))
                j += 1
        else:  # bilinear between the two nearest source centres
            centre = max((i + 0.5) * scale - 0.5, 0.0)
            j = math.floor(centre)
            if j >= in_size - 1:
                row.append((in_size - 1, np.float32(1.0)))
            else:
                t = np.float32(centre - j)
                row.append((j, np.float32(1.0) - t))
                if t > 0:
                    row.append((j + 1, t))
        taps.append(row)
    width = max(len(r) for r in taps)
    index = np.zeros((out_size, width), np.int64)
    weight = np.zeros((out_size, width), np.float32)
    for i, row in enumerate(taps):
        for k, (j, w) in enumerate(row):
            index[i, k], weight[i, k] = j, w
    return index, weight


def clamp_byte(v):
    """(uint8_t)(v + 0.5f) inside [0, 255], NaN to 0, as filter.c's clamp_byte."""
    rounded = np.floor(v + np.float32(0.5))
    return np.where(~(v > 0), 0, np.where(v >= np.float32(255.0), 255, rounded)).astype(np.uint8)


def image_resize(image, width, height):
    """image_resize for 3 channels: horizontal pass into float32, then vertical, taps summed in order
    (the padding taps add +0.0, which changes no sum of non-negative terms)."""
    ix, wx = resize_taps(image.shape[1], width)
    iy, wy = resize_taps(image.shape[0], height)
    src = image.astype(np.float32)
    rows = np.zeros((image.shape[0], width, image.shape[2]), np.float32)
    for k in range(ix.shape[1]):
        rows = rows + wx[None, :, k, None] * src[:, ix[:, k], :]
    out = np.zeros((height, width, image.shape[2]), np.float32)
    for k in range(iy.shape[1]):
        out = out + wy[:, k, None, None] * rows[iy[:, k], :, :]
    return clamp_byte(out)


def letterbox_fit(width, height, side):
    """letterbox_fit in model_images.c: (fit_width, fit_height, x, y)."""
    if width >= height:
        fit_width, fit_height = side, (height * side + width // 2) // width
    else:
        fit_width, fit_height = (width * side + height // 2) // height, side
    fit_width, fit_height = max(fit_width, 1), max(fit_height, 1)
    return fit_width, fit_height, (side - fit_width) // 2, (side - fit_height) // 2


def prepare_image(image, side):
    """One decoded image -> (3, side, side) float32 in [-1, 1], letterboxed with 0."""
    rgb = to_rgb(image)
    fit_width, fit_height, x0, y0 = letterbox_fit(rgb.shape[1], rgb.shape[0], side)
    resized = image_resize(rgb, fit_width, fit_height)
    planes = np.zeros((3, side, side), np.float32)
    scaled = resized.astype(np.float32) * (np.float32(2.0) / np.float32(255.0)) - np.float32(1.0)
    planes[:, y0:y0 + fit_height, x0:x0 + fit_width] = scaled.transpose(2, 0, 1)
    return planes


def prepare_images(paths, side):
    """Five image files (original, A, B, C, D) -> (5, 3, side, side) float32."""
    if len(paths) != IMAGES:
        raise ImageError(f"{IMAGES} images needed (original, A, B, C, D), got {len(paths)}")
    return np.stack([prepare_image(image_load(p), side) for p in paths])


if __name__ == "__main__":
    if len(sys.argv) != 3 + IMAGES:
        sys.exit(__doc__)
    try:
        tensor = prepare_images(sys.argv[3:], int(sys.argv[1]))
    except (ImageError, OSError) as e:
        sys.exit(f"iar_image: {e}")
    tensor.astype("<f4").tofile(sys.argv[2])

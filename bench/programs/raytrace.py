"""A ray tracer in f64: spheres, a checkered floor, two lights, shadows, highlights, reflections; one 48x36 frame per round.

The twin is raytrace.c's algorithm in plain Python, vectors as tuples,
with every floating-point operation in the order the C program does it,
so the sum is the same to the bit.
"""

from __future__ import annotations

from math import sqrt

RESULT = "f64"
FULL = (12,)
QUICK = (1,)
REDUCED = (1,)

WIDTH = 48
HEIGHT = 36
MAX_DEPTH = 3
EPSILON = 1e-6

# center, radius, color, mirror
SPHERES = (
    ((0.0, 1.0, 0.0), 1.0, (0.9, 0.2, 0.2), 0.3),
    ((-2.2, 0.7, 0.8), 0.7, (0.2, 0.8, 0.3), 0.1),
    ((2.0, 0.8, -0.4), 0.8, (0.3, 0.4, 0.95), 0.5),
    ((0.6, 0.35, -1.6), 0.35, (0.95, 0.85, 0.2), 0.0),
    ((-0.9, 2.4, 2.2), 0.6, (0.85, 0.85, 0.85), 0.8),
)
LIGHTS = ((-4.0, 6.0, -5.0), (5.0, 4.0, -2.0))
LIGHT_POWER = (0.75, 0.45)
WHITE = (1.0, 1.0, 1.0)
SKY = (0.3, 0.5, 0.9)
LIGHT_SQUARE = (0.9, 0.9, 0.9)
DARK_SQUARE = (0.15, 0.15, 0.15)
UP = (0.0, 1.0, 0.0)


def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def scale(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def unit(a):
    return scale(a, 1.0 / sqrt(dot(a, a)))


def hit_sphere(center, radius, origin, d):
    """Distance along the ray to the nearest hit, or -1."""
    oc = sub(origin, center)
    b = dot(oc, d)
    c = dot(oc, oc) - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return -1.0
    root = sqrt(disc)
    t = -b - root
    if t > EPSILON:
        return t
    t = -b + root
    return t if t > EPSILON else -1.0


def hit_floor(origin, d):
    if d[1] > -1e-9:
        return -1.0
    t = -origin[1] / d[1]
    return t if t > EPSILON else -1.0


def trace(origin, d, depth):
    found = -1
    best = 1e30
    for i, sphere in enumerate(SPHERES):
        t = hit_sphere(sphere[0], sphere[1], origin, d)
        if 0.0 < t < best:
            best = t
            found = i
    t = hit_floor(origin, d)
    if 0.0 < t < best:
        best = t
        found = 5
    if found < 0:
        return scale(SKY, 0.5 + 0.5 * d[1])
    point = add(origin, scale(d, best))
    if found == 5:
        normal = UP
        cx = int(point[0] + 1000.0)
        cz = int(point[2] + 1000.0)
        base = LIGHT_SQUARE if (cx + cz) & 1 else DARK_SQUARE
        mirror = 0.15
    else:
        center, radius, base, mirror = SPHERES[found]
        normal = scale(sub(point, center), 1.0 / radius)
    lifted = add(point, scale(normal, EPSILON))
    color = scale(base, 0.1)
    for i in range(2):
        to_light = sub(LIGHTS[i], point)
        distance = sqrt(dot(to_light, to_light))
        l = scale(to_light, 1.0 / distance)  # noqa: E741 - the usual name
        lambert = dot(normal, l)
        if lambert <= 0.0:
            continue
        if any(0.0 < hit_sphere(s[0], s[1], lifted, l) < distance for s in SPHERES):
            continue
        color = add(color, scale(base, lambert * LIGHT_POWER[i]))
        spec = dot(normal, unit(sub(l, d)))
        if spec > 0.0:
            spec = spec * spec
            spec = spec * spec
            spec = spec * spec
            spec = spec * spec
            color = add(color, scale(WHITE, spec * 0.5 * LIGHT_POWER[i]))
    if mirror > 0.0 and depth < MAX_DEPTH:
        reflected = sub(d, scale(normal, 2.0 * dot(d, normal)))
        bounce = trace(lifted, reflected, depth + 1)
        color = add(scale(color, 1.0 - mirror), scale(bounce, mirror))
    return color


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def render(frame: int) -> float:
    """The luminance summed over one frame."""
    shift = float(frame % 16) * 0.125
    eye = (-1.0 + shift, 1.6, -7.0)
    forward = unit(sub((0.0, 0.8, 0.0), eye))
    right = unit((forward[2], 0.0, -forward[0]))
    up = (-right[2] * forward[1], right[2] * forward[0] - right[0] * forward[2],
          right[0] * forward[1])
    total = 0.0
    for y in range(HEIGHT):
        sy = (HEIGHT / 2.0 - y - 0.5) / HEIGHT
        for x in range(WIDTH):
            sx = (x + 0.5 - WIDTH / 2.0) / HEIGHT
            d = unit(add(forward, add(scale(right, sx), scale(up, sy))))
            c = trace(eye, d, 0)
            total = total + (0.299 * _clamp(c[0]) + 0.587 * _clamp(c[1]) + 0.114 * _clamp(c[2]))
    return total


def run(rounds: int) -> float:
    """raytrace.c's run: the luminance summed over ``rounds`` frames."""
    total = 0.0
    for frame in range(rounds):
        total = total + render(frame)
    return total

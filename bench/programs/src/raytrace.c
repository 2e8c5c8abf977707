/* A ray tracer in double precision.
 *
 * Each round renders one WIDTH x HEIGHT frame of a scene of five spheres
 * over a checkered floor, lit by two point lights, with shadows, Blinn-Phong
 * highlights and mirror reflections up to MAX_DEPTH bounces; the camera
 * moves from round to round. The result is the sum of every pixel's
 * luminance over every round. Only +, -, *, / and sqrt are used (all
 * correctly rounded), in a fixed order, so the sum is the same to the bit
 * wherever IEEE doubles are. */
#include "program.h"

#define WIDTH 48
#define HEIGHT 36
#define MAX_DEPTH 3
#define EPSILON 1e-6

typedef struct { double x, y, z; } vec;

static vec v(double x, double y, double z) { vec r = {x, y, z}; return r; }
static vec add(vec a, vec b) { return v(a.x + b.x, a.y + b.y, a.z + b.z); }
static vec sub(vec a, vec b) { return v(a.x - b.x, a.y - b.y, a.z - b.z); }
static vec scale(vec a, double s) { return v(a.x * s, a.y * s, a.z * s); }
static double dot(vec a, vec b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static vec unit(vec a) { return scale(a, 1.0 / __builtin_sqrt(dot(a, a))); }

typedef struct {
    vec center;
    double radius;
    vec color;
    double mirror;
} sphere_t;

static const sphere_t SPHERES[5] = {
    {{0.0, 1.0, 0.0}, 1.0, {0.9, 0.2, 0.2}, 0.3},
    {{-2.2, 0.7, 0.8}, 0.7, {0.2, 0.8, 0.3}, 0.1},
    {{2.0, 0.8, -0.4}, 0.8, {0.3, 0.4, 0.95}, 0.5},
    {{0.6, 0.35, -1.6}, 0.35, {0.95, 0.85, 0.2}, 0.0},
    {{-0.9, 2.4, 2.2}, 0.6, {0.85, 0.85, 0.85}, 0.8},
};
static const vec LIGHTS[2] = {{-4.0, 6.0, -5.0}, {5.0, 4.0, -2.0}};
static const double LIGHT_POWER[2] = {0.75, 0.45};

/* Distance along the ray to the nearest hit, or -1. */
static double hit_sphere(const sphere_t *s, vec origin, vec dir) {
    vec oc = sub(origin, s->center);
    double b = dot(oc, dir);
    double c = dot(oc, oc) - s->radius * s->radius;
    double disc = b * b - c;
    if (disc < 0.0)
        return -1.0;
    double root = __builtin_sqrt(disc);
    double t = -b - root;
    if (t > EPSILON)
        return t;
    t = -b + root;
    return t > EPSILON ? t : -1.0;
}

static double hit_floor(vec origin, vec dir) {
    if (dir.y > -1e-9)
        return -1.0;
    double t = -origin.y / dir.y;
    return t > EPSILON ? t : -1.0;
}

/* The index of the nearest object (5 is the floor) and its distance; -1 for none. */
static int nearest(vec origin, vec dir, double *distance) {
    int found = -1;
    double best = 1e30;
    for (int i = 0; i < 5; i++) {
        double t = hit_sphere(&SPHERES[i], origin, dir);
        if (t > 0.0 && t < best) {
            best = t;
            found = i;
        }
    }
    double t = hit_floor(origin, dir);
    if (t > 0.0 && t < best) {
        best = t;
        found = 5;
    }
    *distance = best;
    return found;
}

static int shadowed(vec origin, vec dir, double limit) {
    for (int i = 0; i < 5; i++) {
        double t = hit_sphere(&SPHERES[i], origin, dir);
        if (t > 0.0 && t < limit)
            return 1;
    }
    return 0;
}

static vec trace(vec origin, vec dir, int depth) {
    double t;
    int what = nearest(origin, dir, &t);
    if (what < 0) {
        double k = 0.5 + 0.5 * dir.y;
        return scale(v(0.3, 0.5, 0.9), k);
    }
    vec point = add(origin, scale(dir, t));
    vec normal, base;
    double mirror;
    if (what == 5) {
        normal = v(0.0, 1.0, 0.0);
        /* checkers of side 1: the coordinates are offset to stay positive */
        int cx = (int)(point.x + 1000.0), cz = (int)(point.z + 1000.0);
        base = (cx + cz) & 1 ? v(0.9, 0.9, 0.9) : v(0.15, 0.15, 0.15);
        mirror = 0.15;
    } else {
        const sphere_t *s = &SPHERES[what];
        normal = scale(sub(point, s->center), 1.0 / s->radius);
        base = s->color;
        mirror = s->mirror;
    }
    vec lifted = add(point, scale(normal, EPSILON));
    vec color = scale(base, 0.1);
    for (int i = 0; i < 2; i++) {
        vec to_light = sub(LIGHTS[i], point);
        double distance = __builtin_sqrt(dot(to_light, to_light));
        vec l = scale(to_light, 1.0 / distance);
        double lambert = dot(normal, l);
        if (lambert <= 0.0 || shadowed(lifted, l, distance))
            continue;
        color = add(color, scale(base, lambert * LIGHT_POWER[i]));
        double spec = dot(normal, unit(sub(l, dir)));
        if (spec > 0.0) {
            spec = spec * spec;
            spec = spec * spec;
            spec = spec * spec;
            spec = spec * spec;
            color = add(color, scale(v(1.0, 1.0, 1.0), spec * 0.5 * LIGHT_POWER[i]));
        }
    }
    if (mirror > 0.0 && depth < MAX_DEPTH) {
        vec reflected = sub(dir, scale(normal, 2.0 * dot(dir, normal)));
        vec bounce = trace(lifted, reflected, depth + 1);
        color = add(scale(color, 1.0 - mirror), scale(bounce, mirror));
    }
    return color;
}

static double clamp(double x) { return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x; }

static double render(uint32_t frame) {
    double shift = (double)(frame % 16) * 0.125;
    vec eye = v(-1.0 + shift, 1.6, -7.0);
    vec target = v(0.0, 0.8, 0.0);
    vec forward = unit(sub(target, eye));
    vec right = unit(v(forward.z, 0.0, -forward.x));
    vec up = v(-right.z * forward.y, right.z * forward.x - right.x * forward.z, right.x * forward.y);
    double total = 0.0;
    for (int y = 0; y < HEIGHT; y++) {
        double sy = ((double)HEIGHT / 2.0 - (double)y - 0.5) / (double)HEIGHT;
        for (int x = 0; x < WIDTH; x++) {
            double sx = ((double)x + 0.5 - (double)WIDTH / 2.0) / (double)HEIGHT;
            vec dir = unit(add(forward, add(scale(right, sx), scale(up, sy))));
            vec c = trace(eye, dir, 0);
            total = total + (0.299 * clamp(c.x) + 0.587 * clamp(c.y) + 0.114 * clamp(c.z));
        }
    }
    return total;
}

EXPORT_RUN double run(uint32_t rounds) {
    double sum = 0.0;
    for (uint32_t frame = 0; frame < rounds; frame++)
        sum = sum + render(frame);
    return sum;
}

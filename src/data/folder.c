/* Image folders through SDL2_image. See folder.h. */
#include "folder.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>

#include "engine/rng.h"
#include "imghdr.h"
#include "util.h"

ds_folder_opts ds_folder_opts_default(void)
{
    ds_folder_opts o;
    memset(&o, 0, sizeof o);
    o.h = o.w = 150;
    return o;
}

void ds_folder_free(ds_folder *f)
{
    if (!f)
        return;
    ds_set_free(&f->train);
    ds_set_free(&f->val);
    f->dir[0] = '\0';
}

typedef struct {
    char **s;
    int n, cap;
} strlist;

static void sl_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

static int sl_push(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **g = realloc(l->s, sizeof(char *) * (size_t)cap);
        if (!g)
            return -1;
        l->s = g;
        l->cap = cap;
    }
    if (!(l->s[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Entries of dir (not hidden) that are directories (want_dirs) or image files, sorted. */
static int list_dir(const char *dir, bool want_dirs, strlist *out, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return ds_seterr(err, errlen, "%s: cannot open the folder: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = join(dir, e->d_name);
        struct stat st;
        if (!p) {
            rc = ds_seterr(err, errlen, "%s: out of memory", dir);
            break;
        }
        bool ok = stat(p, &st) == 0;
        if (ok && want_dirs && S_ISDIR(st.st_mode))
            rc = sl_push(out, e->d_name);
        else if (ok && !want_dirs && S_ISREG(st.st_mode) && ds_image_format_of_name(e->d_name))
            rc = sl_push(out, e->d_name);
        free(p);
        if (rc < 0)
            ds_seterr(err, errlen, "%s: out of memory", dir);
    }
    closedir(d);
    if (rc == 0 && out->n > 1)
        qsort(out->s, (size_t)out->n, sizeof(char *), cmp_str);
    return rc;
}

/* The whole file, if it is a regular file of at most DS_IMAGE_MAX_FILE bytes. */
static unsigned char *slurp(const char *path, size_t *n, char *err, size_t errlen)
{
    off_t size = 0;
    int fd = ds_open_regular(path, &size, err, errlen);
    if (fd < 0)
        return NULL;
    unsigned char *b = NULL;
    if (size < 0 || (uint64_t)size > DS_IMAGE_MAX_FILE)
        ds_seterr(err, errlen, "%s: the file is %lld bytes, over the %zu MiB limit for an image file", path,
                  (long long)size, DS_IMAGE_MAX_FILE >> 20);
    else if (!(b = malloc((size_t)size + 1)))
        ds_seterr(err, errlen, "%s: out of memory", path);
    size_t got = 0;
    while (b && got < (size_t)size) {
        ssize_t r = read(fd, b + got, (size_t)size - got);
        if (r <= 0) {
            ds_seterr(err, errlen, "%s: read error: %s", path, r < 0 ? strerror(errno) : "the file shrank");
            free(b);
            b = NULL;
        } else {
            got += (size_t)r;
        }
    }
    close(fd);
    *n = got;
    return b;
}

/* Decodes a file that passed ds_image_sniff with the loader of its format only. */
static SDL_Surface *decode(const unsigned char *buf, size_t n, const ds_img_info *info)
{
    unsigned char *clean = NULL;
    size_t clean_n = 0;
    if (info->format == DS_IMG_PNG) {
        if (ds_png_clean(buf, n, &clean, &clean_n) < 0) {
            SDL_SetError("out of memory");
            return NULL;
        }
        buf = clean;
        n = clean_n;
    }
    SDL_RWops *rw = SDL_RWFromConstMem(buf, (int)n);
    SDL_Surface *s = NULL;
    if (rw && info->format == DS_IMG_PNG)
        s = IMG_LoadPNG_RW(rw);
    else if (rw && info->format == DS_IMG_JPEG)
        s = IMG_LoadJPG_RW(rw);
    else if (rw)
        s = SDL_LoadBMP_RW(rw, 0);
    if (rw)
        SDL_RWclose(rw);
    free(clean);
    return s;
}

int ds_image_read(const char *path, float **px, int *h, int *w, char *err, size_t errlen)
{
    *px = NULL;
    *h = *w = 0;
    size_t n;
    unsigned char *buf = slurp(path, &n, err, errlen);
    if (!buf)
        return -1;
    ds_img_info info;
    if (ds_image_sniff(buf, n, path, &info, err, errlen) < 0) {
        free(buf);
        return -1;
    }
    SDL_Surface *s = decode(buf, n, &info);
    free(buf);
    if (!s)
        return ds_seterr(err, errlen, "%s: not a readable image (%s)", path, IMG_GetError());
    if (s->w != info.w || s->h != info.h) { /* the header was checked, not the decoder */
        SDL_FreeSurface(s);
        return ds_seterr(err, errlen, "%s: the %s decoder gave %dx%d for a %dx%d header", path,
                         ds_img_format_name(info.format), s->w, s->h, info.w, info.h);
    }
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGB24, 0);
    SDL_FreeSurface(s);
    if (!rgb)
        return ds_seterr(err, errlen, "%s: cannot convert the image to RGB (%s)", path, SDL_GetError());
    if (rgb->w <= 0 || rgb->h <= 0 || !ds_mul_ok((size_t)rgb->w * (size_t)rgb->h, 3 * sizeof(float), &n) ||
        !(*px = malloc(n))) {
        SDL_FreeSurface(rgb);
        return ds_seterr(err, errlen, "%s: the image is empty or too large", path);
    }
    if (SDL_MUSTLOCK(rgb))
        SDL_LockSurface(rgb);
    const unsigned char *base = rgb->pixels;
    for (int y = 0; y < rgb->h; y++) {
        const unsigned char *row = base + (size_t)y * (size_t)rgb->pitch;
        float *o = *px + (size_t)y * (size_t)rgb->w * 3;
        for (int k = 0; k < rgb->w * 3; k++)
            o[k] = (float)row[k] / 255.0f;
    }
    if (SDL_MUSTLOCK(rgb))
        SDL_UnlockSurface(rgb);
    *h = rgb->h;
    *w = rgb->w;
    SDL_FreeSurface(rgb);
    return 0;
}

static int set_alloc(ds_set *s, int n, int h, int w, int k, char **names, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->h = h;
    s->w = w;
    s->c = 3;
    s->k = k;
    snprintf(s->source, sizeof s->source, "%s", dir);
    size_t per = (size_t)h * (size_t)w * 3;
    s->x = malloc(sizeof(float) * per * (size_t)n + 1);
    s->y = malloc(sizeof(int32_t) * (size_t)n + 1);
    s->src = malloc(sizeof(int32_t) * (size_t)n + 1);
    s->class_src = malloc(sizeof(int32_t) * (size_t)k);
    s->class_names = calloc((size_t)k, sizeof(char *));
    if (!s->x || !s->y || !s->src || !s->class_src || !s->class_names)
        return -1;
    for (int c = 0; c < k; c++) {
        s->class_src[c] = c;
        if (!(s->class_names[c] = strdup(names[c])))
            return -1;
    }
    return 0;
}

int ds_folder_load(const char *dir, const ds_folder_opts *o, ds_folder *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (o->h <= 0 || o->w <= 0 || o->h > 8192 || o->w > 8192)
        return ds_seterr(err, errlen, "%s: image size %dx%d is not in 1..8192", dir, o->h, o->w);
    if (!(o->val_fraction >= 0.0 && o->val_fraction < 1.0) || o->val_count < 0)
        return ds_seterr(err, errlen, "%s: the validation share must be in [0, 1) and the count >= 0", dir);
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    strlist classes = {0};
    if (list_dir(dir, true, &classes, err, errlen) < 0)
        return -1;
    if (classes.n < 2) {
        ds_seterr(err, errlen, "%s: found %d class folder%s%s%s; an image folder needs one sub-folder per class, "
                  "at least 2 (e.g. %s/cats and %s/dogs)", dir, classes.n, classes.n == 1 ? " (" : "s",
                  classes.n == 1 ? classes.s[0] : "", classes.n == 1 ? ")" : "", dir, dir);
        sl_free(&classes);
        return -1;
    }
    int k = classes.n, rc = -1, total = 0;
    strlist *files = calloc((size_t)k, sizeof *files);
    int *first = calloc((size_t)k + 1, sizeof(int));
    uint8_t *is_val = NULL;
    float *img = NULL;
    if (!files || !first) {
        ds_seterr(err, errlen, "%s: out of memory", dir);
        goto done;
    }
    for (int c = 0; c < k; c++) {
        char *cd = join(dir, classes.s[c]);
        int r = cd ? list_dir(cd, false, &files[c], err, errlen) : ds_seterr(err, errlen, "%s: out of memory", dir);
        if (r == 0 && files[c].n == 0)
            r = ds_seterr(err, errlen, "%s: class folder '%s' has no images (.png, .jpg, .jpeg or .bmp)", cd,
                          classes.s[c]);
        free(cd);
        if (r < 0)
            goto done;
        if (o->max_per_class > 0 && files[c].n > o->max_per_class) {
            for (int i = o->max_per_class; i < files[c].n; i++)
                free(files[c].s[i]);
            files[c].n = o->max_per_class;
        }
        first[c] = total;
        total += files[c].n;
    }
    first[k] = total;
    if (o->max_bytes > 0) {
        double need = (double)total * ((double)o->h * o->w * 3 * sizeof(float) + 2 * sizeof(int32_t));
        if (need > o->max_bytes) {
            ds_seterr(err, errlen, "%s: %d images read at %dx%dx3 need %.1f MiB, over the %.1f MiB the memory "
                      "budget leaves for them; use fewer images or a smaller input size", dir, total, o->h, o->w,
                      need / 1048576.0, o->max_bytes / 1048576.0);
            rc = -2;
            goto done;
        }
    }

    /* the split: per class, a seeded choice of round(share * n_c) examples */
    is_val = calloc((size_t)total + 1, 1);
    if (!is_val) {
        ds_seterr(err, errlen, "%s: out of memory", dir);
        goto done;
    }
    double share = o->val_count > 0 ? (double)o->val_count / total : o->val_fraction;
    if (o->val_count >= total) {
        ds_seterr(err, errlen, "%s: %d validation examples asked for, but the folder has only %d images", dir,
                  o->val_count, total);
        goto done;
    }
    nn_rng r;
    nn_rng_seed(&r, o->seed);
    int n_val = 0;
    for (int c = 0; c < k && share > 0; c++) {
        int nc = files[c].n, want = (int)(share * nc + 0.5);
        if (want >= nc)
            want = nc - 1; /* every class keeps a training example */
        int32_t *idx = malloc(sizeof(int32_t) * (size_t)nc);
        if (!idx) {
            ds_seterr(err, errlen, "%s: out of memory", dir);
            goto done;
        }
        for (int i = 0; i < nc; i++)
            idx[i] = i;
        nn_rng_shuffle_i32(&r, idx, nc);
        for (int i = 0; i < want; i++)
            is_val[first[c] + idx[i]] = 1;
        n_val += want;
        free(idx);
    }
    if (set_alloc(&out->train, total - n_val, o->h, o->w, k, classes.s, dir) < 0 ||
        set_alloc(&out->val, n_val, o->h, o->w, k, classes.s, dir) < 0) {
        ds_seterr(err, errlen, "%s: out of memory for %d images of %dx%d", dir, total, o->h, o->w);
        goto done;
    }
    size_t per = (size_t)o->h * (size_t)o->w * 3;
    int nt = 0, nv = 0;
    for (int c = 0; c < k; c++) {
        for (int i = 0; i < files[c].n; i++) {
            int src = first[c] + i;
            char *cd = join(dir, classes.s[c]);
            char *path = cd ? join(cd, files[c].s[i]) : NULL;
            free(cd);
            if (!path) {
                ds_seterr(err, errlen, "%s: out of memory", dir);
                goto done;
            }
            int ih, iw;
            int rr = ds_image_read(path, &img, &ih, &iw, err, errlen);
            ds_set *s = is_val[src] ? &out->val : &out->train;
            int row = is_val[src] ? nv++ : nt++;
            if (rr == 0) {
                char rerr[256];
                rr = ds_resize_bilinear(img, 1, ih, iw, 3, s->x + (size_t)row * per, o->h, o->w, 3, rerr, sizeof rerr);
                if (rr < 0)
                    ds_seterr(err, errlen, "%s: %s", path, rerr);
            }
            free(img);
            img = NULL;
            free(path);
            if (rr < 0)
                goto done;
            s->y[row] = c;
            s->src[row] = src;
        }
    }
    rc = 0;
done:
    free(img);
    free(is_val);
    free(first);
    if (files)
        for (int c = 0; c < k; c++)
            sl_free(&files[c]);
    free(files);
    sl_free(&classes);
    if (rc < 0)
        ds_folder_free(out);
    return rc;
}

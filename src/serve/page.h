// page.h — the web page served at GET / (generated into page.c from page.html).
#ifndef IAR_SERVE_PAGE_H
#define IAR_SERVE_PAGE_H

extern const char SERVE_PAGE_HTML[];

#endif

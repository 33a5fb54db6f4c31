/* Test helper: a loopback TCP port for a server under test. */
#ifndef TEST_PORT_H
#define TEST_PORT_H

#include <stdint.h>

/* A port of 127.0.0.1 that nothing held a moment ago (bound to port 0,
 * read back, closed); fails the test when no socket can be made. */
uint16_t test_free_port(void);

#endif

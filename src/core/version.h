#ifndef RL_VERSION_H
#define RL_VERSION_H

/* The one place the version is written. */
#define RELAIS_VERSION "0.1.0"

#endif

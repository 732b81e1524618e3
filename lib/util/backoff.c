#include "backoff.h"

long
backoff_delay(int n, long first, long max)
{
	long d = first;
	int i;

	for (i = 1; i < n && d < max; i++)
		d *= 2;
	return d > max ? max : d;
}

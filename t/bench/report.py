#!/usr/bin/python3
"""report.py RESULTS.jsonl: the table t/bench/run prints.

One column per mail count, and the growth from the first to the last.
"""

import json
import sys


def main():
    sizes, latency = [], None
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if 'reply' in r:
            latency = r
        else:
            sizes.append(r)
    if not sizes:
        print('no results')
        return 1

    def ratio(r):
        return r['ingest_rate'] / r['parse'] if r['parse'] else 0

    rows = [
        ('Dovecot, plain libetpan fetch loop (msg/s)', lambda r: '%d' % r['fetch']),
        ('  + mailmime_parse (msg/s)', lambda r: '%d' % r['parse']),
        ('  + ticketd mail_read (msg/s)', lambda r: '%d' % r['mail']),
        ('ticketd ingest, durable fates/s', lambda r: '%d' % r['ingest_rate']),
        ('  share of the fetch+parse ceiling', lambda r: '%.3f' % ratio(r)),
        ('  fates / mails', lambda r: '%d / %d' % (r['fates'], r['n'])),
        ('CPU per message (us, user+sys)', lambda r: '%d' % r['cpu_us']),
        ('syscalls/msg: all, read, write, fsync', lambda r: '%.0f, %.0f, %.0f, %.2f'
         % (r['sc_total'], r['sc_read'], r['sc_write'], r['sc_sync'])),
        ('written to disk per message (KiB)', lambda r: '%.1f' % r['written_kib']),
        ('mean mail (KiB)', lambda r: '%.1f' % (r.get('mean_mail', 0) / 1024)),
        ('store per 1,000 tickets (MiB)', lambda r: '%.1f' % r['store_mib_per_1000']),
        ('store / raw mail kept', lambda r: '%.2f' % r['store_over_raw']),
        ('  share of the store in event text', lambda r: '%.2f' % r['events_share']),
        ('peak RSS (MiB)', lambda r: '%.1f' % r['rss_mib']),
        ('outbox to aiosmtpd (mails/s)', lambda r: '%d' % r['outbox_py']),
        ('  aiosmtpd alone: smtplib 1 / 2 clients', lambda r: '%d / %d' % (r['sink_py_1'], r['sink_py_2'])),
        ('outbox to smtp-discard (mails/s)', lambda r: '%d' % r['outbox_fast']),
        ('  smtp-discard alone, 1 connection', lambda r: '%d' % r['sink_fast']),
        ('auto-responses sent per run', lambda r: '%d' % r['outbox_n']),
    ]
    growth = {
        'ticketd ingest, durable fates/s': lambda a, b: b['ingest_rate'] / a['ingest_rate'],
        'peak RSS (MiB)': lambda a, b: b['rss_mib'] / a['rss_mib'],
        'CPU per message (us, user+sys)': lambda a, b: b['cpu_us'] / a['cpu_us'],
        'store per 1,000 tickets (MiB)': lambda a, b: b['store_mib_per_1000'] / a['store_mib_per_1000'],
        'written to disk per message (KiB)': lambda a, b: b['written_kib'] / a['written_kib'] if a['written_kib'] else 0,
        'outbox to smtp-discard (mails/s)': lambda a, b: b['outbox_fast'] / a['outbox_fast'] if a['outbox_fast'] else 0,
        'outbox to aiosmtpd (mails/s)': lambda a, b: b['outbox_py'] / a['outbox_py'] if a['outbox_py'] else 0,
    }
    head = ['N = {:,}'.format(r['n']) for r in sizes]
    width = 44
    cols = [max(18, len(h) + 2) for h in head]
    print('%-*s' % (width, '') + ''.join('%*s' % (c, h) for c, h in zip(cols, head))
          + ('%12s' % 'last/first' if len(sizes) > 1 else ''))
    for name, f in rows:
        line = '%-*s' % (width, name) + ''.join('%*s' % (c, f(r)) for c, r in zip(cols, sizes))
        if len(sizes) > 1 and name in growth:
            try:
                line += '%12.2f' % growth[name](sizes[0], sizes[-1])
            except ZeroDivisionError:
                line += '%12s' % '-'
        print(line)
    if latency is not None:
        print('%-*s%s' % (width, 'APPEND -> auto-response, p50 / p99 (s)',
                          '%.3f / %.3f  (max %.3f; %d mails one at a time, IDLE, store of N = {:,})'
                          .format(sizes[-1]['n'])
                          % (latency['reply']['p50'], latency['reply']['p99'], latency['reply']['max'],
                             latency['count'])))
        print('%-*s%s' % (width, '  Dovecot IDLE notification, p50 / p99 (s)',
                          '%.3f / %.3f  (%d of %d mails seen by the IDLE client%s)'
                          % (latency['idle']['p50'] or 0, latency['idle']['p99'] or 0,
                             latency['idle']['n'], latency['count'],
                             '; its error: ' + latency['idle_error'] if latency.get('idle_error') else '')))
        print('%-*s%s' % (width, '  ticketd own share, p50 / p99 (s)',
                          '%.3f / %.3f' % (latency['own']['p50'], latency['own']['p99'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())

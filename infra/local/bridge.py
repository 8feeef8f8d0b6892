"""The upload bucket's trigger, locally: every second, objects under uploads/ that are new or
changed (by ETag) are sent to s3-ingest as an S3 notification, through the Lambda Invoke API
that cargo lambda watch serves."""

import sys
import time
import urllib.parse
import urllib.request
import json

import boto3

BUCKET = "telemetry-local-uploads"
port = sys.argv[1]
url = f"http://127.0.0.1:{port}/2015-03-31/functions/s3-ingest/invocations"
s3 = boto3.client("s3")
seen = {}
while True:
    try:
        listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("Contents", [])
    except Exception as e:
        print("list failed:", e, flush=True)
        time.sleep(1)
        continue
    for obj in listing:
        key, etag = obj["Key"], obj["ETag"].strip('"')
        if seen.get(key) == etag:
            continue
        event = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": obj["LastModified"].isoformat(), "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                   "object": {"key": urllib.parse.quote_plus(key, safe="/"), "size": obj["Size"], "eTag": etag}},
        }]}
        req = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=900) as resp:
                print(key, resp.status, resp.read().decode()[:500], flush=True)
            seen[key] = etag
        except Exception as e:
            print(key, "invoke failed:", e, flush=True)
    time.sleep(1)

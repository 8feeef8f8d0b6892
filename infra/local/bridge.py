"""The upload bucket's trigger, locally: every second, objects under uploads/ that are new or
changed (by ETag) are sent to s3-ingest as an S3 notification, through the Lambda Invoke API
that cargo lambda watch serves. Given an ingest queue (queued mode), it is also the queue's
event source: messages go to queue-consume as an SQS event, and those it does not name in
its partial batch response are deleted."""

import sys
import time
import urllib.parse
import urllib.request
import json

import boto3

BUCKET = "telemetry-local-uploads"
port = sys.argv[1]
queue_url = sys.argv[2] if len(sys.argv) > 2 else ""
url = f"http://127.0.0.1:{port}/2015-03-31/functions/s3-ingest/invocations"
consume_url = f"http://127.0.0.1:{port}/2015-03-31/functions/queue-consume/invocations"
s3 = boto3.client("s3")
sqs = boto3.client("sqs")
seen = {}


def consume_queue():
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                              AttributeNames=["All"]).get("Messages", [])
    if not got:
        return
    event = {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:telemetry-local-ingest",
        "awsRegion": "us-east-1",
    } for m in got]}
    req = urllib.request.Request(consume_url, data=json.dumps(event).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=900) as resp:
        answer = json.loads(resp.read().decode() or "{}")
    failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
    done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(got) if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
    print("queue-consume:", len(got), "messages,", len(failed), "handed back", flush=True)


while True:
    if queue_url:
        try:
            consume_queue()
        except Exception as e:
            print("queue-consume failed:", e, flush=True)
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

"""Creates the local stack's AWS resources on moto: the upload and archive buckets, the event
bus, and a queue receiving every event published to it (to watch what the relay sends). With
LOCAL_INGEST_MODE=queued, also the ingest queue and its dead-letter queue, as the template
makes them, and prints the ingest queue's URL."""

import json
import os
import time

import boto3

for _ in range(150):
    try:
        s3 = boto3.client("s3")
        s3.list_buckets()
        break
    except Exception:
        time.sleep(0.2)
for bucket in ("telemetry-local-uploads", "telemetry-local-archive"):
    s3.create_bucket(Bucket=bucket)
events = boto3.client("events")
sqs = boto3.client("sqs")
events.create_event_bus(Name="telemetry-local")
queue = sqs.create_queue(QueueName="telemetry-local-events")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name="all", EventBusName="telemetry-local",
                EventPattern=json.dumps({"source": [{"prefix": "telemetry."}]}))
events.put_targets(Rule="all", EventBusName="telemetry-local", Targets=[{"Id": "queue", "Arn": arn}])
if os.environ.get("LOCAL_INGEST_MODE", "direct") == "queued":
    dlq = sqs.create_queue(QueueName="telemetry-local-ingest-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ingest = sqs.create_queue(QueueName="telemetry-local-ingest", Attributes={
        "VisibilityTimeout": "60",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 10}),
    })["QueueUrl"]
    print(ingest)

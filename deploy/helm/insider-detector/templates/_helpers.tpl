{{/* Names and labels. */}}
{{- define "insider.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "insider.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "insider.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "insider.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one stage: (dict "root" $ "stage" "ingester") */}}
{{- define "insider.selector" -}}
app.kubernetes.io/name: {{ include "insider.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .stage }}
{{- end -}}

{{- define "insider.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "insider.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "insider.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The configuration file: the user's config with where each stage listens set by the chart. Secrets in
values are refused: the product reads them from the environment only (the Secret).
*/}}
{{- define "insider.config" -}}
{{- $c := .Values.config | default dict -}}
{{- range $path := list "clickhouse.password" "kafka.sasl.password" "api.pseudonymKey" "api.adminToken" -}}
{{- $parts := splitList "." $path -}}
{{- $v := $c -}}
{{- range $parts -}}{{- if kindIs "map" $v -}}{{- $v = get $v . -}}{{- else -}}{{- $v = "" -}}{{- end -}}{{- end -}}
{{- if $v -}}
{{- fail (printf "config.%s: secrets are not read from values or files; put it in the Secret %q as an environment variable (docs/deploy.md)" $path $.Values.secrets.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- $listen := dict
  "health" (dict "host" "0.0.0.0" "port" (int .Values.ports.health))
  "ingest" (dict "metrics" (dict "host" "0.0.0.0" "port" (int .Values.ports.health)))
  "api" (dict "host" "0.0.0.0" "port" (int .Values.ports.api))
  "reports" (dict "outputDir" "/var/lib/insider/reports")
  "localServices" (dict "kafka" (dict "manage" "never") "clickhouse" (dict "manage" "never"))
-}}
{{- toYaml (mustMergeOverwrite (deepCopy $c) $listen) -}}
{{- end -}}

{{/*
One stage's Deployment: (dict "root" $ "stage" "ingester" "values" .Values.ingester "args" (list "ingest")
"port" 9464 "single" false "recreate" false "autoscaled" false "volumes" (list ...) "mounts" (list ...))
*/}}
{{- define "insider.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "insider.fullname" $root }}-{{ .stage }}
  labels:
    {{- include "insider.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .stage }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ if .single }}1{{ else }}{{ $v.replicas }}{{ end }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if .single }}
  # Never two at once: the stage keeps a ledger of what it did and must run alone.
  strategy:
    type: Recreate
  {{- else if .recreate }}
  # Versions never side by side: an older ingester does not recognise a newer one's insert shared by
  # several partitions while it runs (docs/exactly-once.md, "Upgrading"). Kafka holds the events meanwhile.
  strategy:
    type: Recreate
  {{- else }}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  {{- end }}
  selector:
    matchLabels:
      {{- include "insider.selector" (dict "root" $root "stage" .stage) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "insider.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .stage }}
      annotations:
        checksum/config: {{ include "insider.config" $root | sha256sum }}
        {{- if eq .stage "api" }}
        # The API's /metrics needs a viewer token: scrape it with one (a ServiceMonitor), not by annotation.
        prometheus.io/scrape: "false"
        {{- else }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "insider.serviceAccountName" $root }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .stage }}
          image: {{ include "insider.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            {{- toYaml .args | nindent 12 }}
          env:
            - name: INSIDER_CONFIG
              value: /etc/insider/config.yaml
            {{- $node := list }}
            {{- with .values.heapMb }}{{ $node = append $node (printf "--max-old-space-size=%d" (int .)) }}{{ end }}
            {{- with .values.semiSpaceMb }}{{ $node = append $node (printf "--max-semi-space-size=%d" (int .)) }}{{ end }}
            {{- if $node }}
            # V8 grows its heap lazily to far more than the live data; a cap keeps the pod's memory near it.
            - name: NODE_OPTIONS
              value: {{ join " " $node | quote }}
            {{- end }}
          envFrom:
            - secretRef:
                name: {{ required "secrets.existingSecret: name the Secret holding INSIDER_CLICKHOUSE_PASSWORD and the other secrets" $root.Values.secrets.existingSecret }}
          ports:
            - name: {{ if eq .stage "api" }}http{{ else }}health{{ end }}
              containerPort: {{ .port }}
              protocol: TCP
          # The start can take minutes (the detector loads every employee's history).
          startupProbe:
            httpGet: { path: /healthz, port: {{ .port }} }
            periodSeconds: 5
            failureThreshold: 120
          livenessProbe:
            httpGet: { path: /healthz, port: {{ .port }} }
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            httpGet: { path: /readyz, port: {{ .port }} }
            periodSeconds: 10
            timeoutSeconds: 6
            failureThreshold: 3
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - { name: config, mountPath: /etc/insider, readOnly: true }
            - { name: tmp, mountPath: /tmp }
            {{- with .mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "insider.fullname" $root }}-config
        - name: tmp
          emptyDir: {}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* A PodDisruptionBudget of a stage with several pods: (dict "root" $ "stage" "api" "pdb" .Values.api.pdb) */}}
{{- define "insider.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "insider.fullname" .root }}-{{ .stage }}
  labels:
    {{- include "insider.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .stage }}
spec:
  {{- if hasKey .pdb "maxUnavailable" }}
  maxUnavailable: {{ .pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .pdb.minAvailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "insider.selector" (dict "root" .root "stage" .stage) | nindent 6 }}
{{- end -}}

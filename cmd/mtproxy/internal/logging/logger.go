package logging

import (
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New builds the logger described by cfg, writing to w. isTerminal says
// whether w is a terminal (see [IsTerminal]): it picks the format when
// cfg.Format is automatic and allows colours. Invalid settings give a
// [*ConfigError] naming LOG_LEVEL or LOG_FORMAT.
func New(cfg Config, w zapcore.WriteSyncer, isTerminal bool) (*zap.Logger, error) {
	return build(cfg, w, isTerminal, defaultPolicy())
}

// build is New with the sampling policy and extra zap options as parameters,
// for tests.
func build(cfg Config, w zapcore.WriteSyncer, isTerminal bool, p policy, opts ...zap.Option) (*zap.Logger, error) {
	lvl, err := cfg.level()
	if err != nil {
		return nil, err
	}
	asJSON, err := cfg.json(isTerminal)
	if err != nil {
		return nil, err
	}

	ec := zapcore.EncoderConfig{
		TimeKey:        "ts",
		LevelKey:       "level",
		NameKey:        "logger",
		MessageKey:     "msg",
		StacktraceKey:  "stacktrace",
		LineEnding:     zapcore.DefaultLineEnding,
		EncodeName:     zapcore.FullNameEncoder,
		EncodeCaller:   zapcore.ShortCallerEncoder,
		EncodeDuration: zapcore.StringDurationEncoder,
	}
	if lvl == zapcore.DebugLevel {
		ec.CallerKey = "caller"
	}
	var enc zapcore.Encoder
	if asJSON {
		ec.EncodeTime = utcISO8601
		ec.EncodeLevel = zapcore.LowercaseLevelEncoder
		enc = zapcore.NewJSONEncoder(ec)
	} else {
		ec.EncodeTime = zapcore.ISO8601TimeEncoder // local time: a person is reading
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		if isTerminal {
			ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		enc = zapcore.NewConsoleEncoder(ec)
	}

	core := newSamplingCore(zapcore.NewCore(enc, w, lvl), p)
	base := []zap.Option{zap.ErrorOutput(w)}
	if lvl == zapcore.DebugLevel {
		base = append(base, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	} else {
		base = append(base, zap.AddStacktrace(zapcore.DPanicLevel))
	}
	return zap.New(core, append(base, opts...)...), nil
}

// utcISO8601 writes a time as 2006-01-02T15:04:05.000Z.
func utcISO8601(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
	enc.AppendString(t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// IsTerminal reports whether f is a character device, which for the
// process's stderr means a terminal (or /dev/null, where the choice does
// not matter).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

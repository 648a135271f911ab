// Package hl7 receives vital signs from bedside monitors over HL7 v2.
//
// Monitors and their gateways send ORU^R01 observation messages over MLLP
// (minimal lower layer protocol: each message framed by 0x0B ... 0x1C 0x0D
// on a TCP connection) and expect an acknowledgement for each.
//
// The package has four layers, each usable on its own:
//
//   - Parse and Message: a general HL7 v2 parser. Delimiters come from
//     MSH-1 and MSH-2; escape sequences are decoded; fields, repetitions,
//     components and subcomponents are reached by their HL7 position.
//     Message.Encode writes a message back, escaping values again.
//   - ExtractVitals and Vitals: the patient, visit, time and vital signs of
//     an ORU^R01 message, mapped from LOINC and IEEE 11073 (MDC) codes and
//     converted to ketacare's units. It does not judge whether a reading is
//     clinically plausible; the clinical rules do.
//   - NewAck: original-mode acknowledgements (MSA AA, AE or AR, with an ERR
//     segment for errors).
//   - Reader, WriteFrame and Server: MLLP framing and a TCP server that
//     passes each message's Vitals to a Handler and acknowledges it.
//
// Every acknowledgement is sent, whatever MSH-15 and MSH-16 ask for:
// monitors on MLLP wait for one before sending the next message.
//
// Error texts and log records of this package never contain values from
// patient segments (PID, PV1) or observation values.
package hl7

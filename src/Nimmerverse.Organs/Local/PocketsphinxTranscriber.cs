using System.Runtime.InteropServices;
using Nimmerverse.Organs.Media;
using Nimmerverse.Organs.Native;
using Nimmerverse.Protocol;

namespace Nimmerverse.Organs.Local;

/// <summary>
/// Speech to text with CMU Sphinx, loaded into this process: the acoustic model and dictionary are
/// read once at load; an utterance is decoded against a JSGF grammar of the commands the organism
/// knows. Confidence compares the grammar's best path with a free phone loop over the same audio
/// (a likelihood ratio per frame): speech that fits the grammar well scores near 1, speech or noise
/// the grammar had to force scores low. The phone loop is itself a grammar (any sequence of the
/// model's phones, each added to the dictionary as a one-phone word), so both scores come from the
/// same search and compare directly.
/// </summary>
public sealed unsafe class PocketsphinxTranscriber : ITranscriber
{
    private const int RecogniserRate = 16000;
    private const string GrammarSearch = "commands";
    private const string PhoneSearch = "phones";

    /// <summary>The CMU phone set of the en-us acoustic model.</summary>
    private static readonly string[] s_phones =
        ["AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K",
         "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"];

    private readonly nint _config;
    private readonly nint _decoder;
    private readonly double _confidenceScale;

    public PocketsphinxTranscriber(string acousticModel, string dictionary, string grammar, double confidenceScale)
    {
        foreach (var (what, path) in new[] { ("acoustic model", acousticModel), ("dictionary", dictionary), ("grammar", grammar) })
        {
            if (!Path.Exists(path))
            {
                throw new OrganLoadException($"the {what} '{path}' does not exist (apt-get install pocketsphinx-en-us)");
            }
        }

        _confidenceScale = confidenceScale;
        string[] arguments = ["-hmm", acousticModel, "-dict", dictionary, "-jsgf", grammar, "-logfn", "/dev/null", "-dither", "yes", "-seed", "1"];
        var argv = arguments.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        try
        {
            _config = PocketsphinxNative.cmd_ln_parse_r(0, PocketsphinxNative.ps_args(), argv.Length, argv, 1);
        }
        finally
        {
            Array.ForEach(argv, Marshal.FreeCoTaskMem);
        }

        _decoder = _config == 0 ? 0 : PocketsphinxNative.ps_init(_config);
        if (_decoder == 0)
        {
            Dispose();
            throw new OrganLoadException($"CMU Sphinx could not load the model '{acousticModel}' with the grammar '{grammar}'");
        }

        // The grammar given at start is the default search; name it, and add the phone loop.
        var phoneWords = s_phones.Select(phone => $"phone_{phone.ToLowerInvariant()}").ToArray();
        var added = s_phones.Zip(phoneWords).All(p => PocketsphinxNative.ps_add_word(_decoder, p.Second, p.First, 0) >= 0);
        var loop = $"#JSGF V1.0;\ngrammar phones;\npublic <phones> = ({string.Join(" | ", phoneWords)})+;\n";
        if (!added || PocketsphinxNative.ps_set_jsgf_file(_decoder, GrammarSearch, grammar) != 0
            || PocketsphinxNative.ps_set_jsgf_string(_decoder, PhoneSearch, loop) != 0)
        {
            Dispose();
            throw new OrganLoadException($"CMU Sphinx could not set up its searches (grammar '{grammar}', phone loop)");
        }
    }

    public Transcription Transcribe(WaveAudio audio)
    {
        var speech = audio.Resampled(RecogniserRate).Padded(TimeSpan.FromMilliseconds(300));
        var (hypothesis, grammarScore, frames) = Decode(GrammarSearch, speech.Samples);
        var text = hypothesis is null ? "" : string.Join(' ', hypothesis.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0 || frames == 0)
        {
            return new Transcription("", 0, audio.Duration.TotalSeconds);
        }

        var (_, phoneScore, _) = Decode(PhoneSearch, speech.Samples);
        // In the decoder's own score units (logs, as it keeps them); the scale was calibrated in the same units.
        var perFrame = Math.Max(0, (double)(phoneScore - grammarScore) / frames);
        return new Transcription(text, Math.Round(Math.Exp(-perFrame / _confidenceScale), 4), audio.Duration.TotalSeconds);
    }

    public void Dispose()
    {
        if (_decoder != 0)
        {
            PocketsphinxNative.ps_free(_decoder);
        }
        else if (_config != 0)
        {
            PocketsphinxNative.cmd_ln_free_r(_config);
        }
    }

    private (string? Hypothesis, int Score, int Frames) Decode(string search, short[] samples)
    {
        if (PocketsphinxNative.ps_set_search(_decoder, search) != 0 || PocketsphinxNative.ps_start_utt(_decoder) != 0)
        {
            throw new InvalidOperationException($"CMU Sphinx could not start an utterance in the search '{search}'");
        }

        fixed (short* data = samples)
        {
            if (PocketsphinxNative.ps_process_raw(_decoder, data, (nuint)samples.Length, 0, 1) < 0)
            {
                PocketsphinxNative.ps_end_utt(_decoder);
                throw new InvalidOperationException("CMU Sphinx could not process the audio");
            }
        }

        PocketsphinxNative.ps_end_utt(_decoder);
        var hypothesis = PocketsphinxNative.ps_get_hyp(_decoder, out var score);
        return (Marshal.PtrToStringUTF8(hypothesis), score, PocketsphinxNative.ps_get_n_frames(_decoder));
    }
}

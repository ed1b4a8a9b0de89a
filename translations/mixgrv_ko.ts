<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko" sourcelanguage="en">
<context>
    <name>ABView</name>
    <message>
        <source>A/B comparison</source>
        <translation>A/B 비교</translation>
    </message>
    <message>
        <source>Click a lane or press 1–{n}: playback continues at the same position.</source>
        <translation>레인을 클릭하거나 1–{n} 키를 누르세요. 같은 위치에서 이어서 재생됩니다.</translation>
    </message>
    <message>
        <source>Close the comparison</source>
        <translation>비교 닫기</translation>
    </message>
    <message>
        <source>same caption and seed {seed} · switch lanes while playing</source>
        <translation>같은 캡션, 같은 시드 {seed} · 재생 중에 레인을 바꿔 들어 보세요</translation>
    </message>
    <message>
        <source>the source and the take · switch lanes while playing</source>
        <translation>소스와 테이크 · 재생 중에 레인을 바꿔 보세요</translation>
    </message>
    <message>
        <source>▶  Play A/B</source>
        <translation>▶  A/B 재생</translation>
    </message>
    <message>
        <source>❚❚  Pause</source>
        <translation>❚❚  일시정지</translation>
    </message>
</context>
<context>
    <name>AdapterRow</name>
    <message>
        <source>Load</source>
        <translation>불러오기</translation>
    </message>
    <message>
        <source>On</source>
        <translation>켜기</translation>
    </message>
    <message>
        <source>Strength</source>
        <translation>강도</translation>
    </message>
    <message>
        <source>Switch the adapter off without unloading it</source>
        <translation>어댑터를 해제하지 않고 잠시 끕니다</translation>
    </message>
    <message>
        <source>Unload</source>
        <translation>해제</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>가져옴</translation>
    </message>
    <message>
        <source>trained</source>
        <translation>학습됨</translation>
    </message>
</context>
<context>
    <name>AutoLabelBar</name>
    <message>
        <source>%1 songs labelled, %2 failed. Check the labels before training.</source>
        <translation>%1곡 라벨 완료, %2곡 실패. 학습 전에 라벨을 확인하세요.</translation>
    </message>
    <message>
        <source>Also replace labels you typed yourself.</source>
        <translation>직접 입력한 라벨도 바꿉니다.</translation>
    </message>
    <message>
        <source>Auto-label</source>
        <translation>자동 라벨</translation>
    </message>
    <message>
        <source>Auto-label needs a 5 Hz LM. Download one under Settings &gt; Models…</source>
        <translation>자동 라벨에는 5 Hz LM이 필요합니다. 설정 &gt; 모델…에서 내려받으세요.</translation>
    </message>
    <message>
        <source>Auto-label stopped. The songs it finished are saved.</source>
        <translation>자동 라벨을 중단했습니다. 끝난 곡은 저장되어 있습니다.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Loading the models…</source>
        <translation>모델을 불러오는 중…</translation>
    </message>
    <message>
        <source>Only songs without labels</source>
        <translation>라벨 없는 곡만</translation>
    </message>
    <message>
        <source>Overwrite</source>
        <translation>덮어쓰기</translation>
    </message>
    <message>
        <source>Song %1 of %2: %3</source>
        <translation>%2곡 중 %1번째: %3</translation>
    </message>
    <message>
        <source>The 5 Hz LM listens to each song and writes its caption, genre, BPM, key, time signature, language and lyrics. Review them before training.</source>
        <translation>5 Hz LM이 곡마다 듣고 캡션, 장르, BPM, 조, 박자, 언어, 가사를 적습니다. 학습 전에 검토하세요.</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>약 %1 남음</translation>
    </message>
</context>
<context>
    <name>DatasetPanel</name>
    <message>
        <source>%1 imported, %2 skipped</source>
        <translation>%1곡 가져옴, %2곡 건너뜀</translation>
    </message>
    <message>
        <source>%1 songs · %2 · %3 labelled</source>
        <translation>%1곡 · %2 · %3곡 라벨 완료</translation>
    </message>
    <message>
        <source>Accepted: %1. Lyrics from &lt;song&gt;.txt, captions from &lt;song&gt;.caption.txt or a CSV (file,bpm,key,caption).</source>
        <translation>가져올 수 있는 파일: %1. 가사는 &lt;곡&gt;.txt에서, 곡 설명은 &lt;곡&gt;.caption.txt 또는 CSV(file,bpm,key,caption)에서 읽습니다.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Checking files…</source>
        <translation>파일 확인 중…</translation>
    </message>
    <message>
        <source>Choose the dataset to work on</source>
        <translation>작업할 데이터셋을 선택하세요</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>데이터셋</translation>
    </message>
    <message>
        <source>Delete dataset</source>
        <translation>데이터셋 삭제</translation>
    </message>
    <message>
        <source>Delete the dataset “%1” and its copies of the songs? Your original files are not touched.</source>
        <translation>데이터셋 “%1”과 그 안에 복사된 곡들을 삭제할까요? 원본 파일은 건드리지 않습니다.</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>삭제…</translation>
    </message>
    <message>
        <source>Drop songs or folders from Finder</source>
        <translation>Finder에서 곡이나 폴더를 끌어다 놓으세요</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>가져오기</translation>
    </message>
    <message>
        <source>Import cancelled</source>
        <translation>가져오기를 취소했습니다</translation>
    </message>
    <message>
        <source>My songs</source>
        <translation>내 곡</translation>
    </message>
    <message>
        <source>Name of the new dataset:</source>
        <translation>새 데이터셋 이름:</translation>
    </message>
    <message>
        <source>New dataset</source>
        <translation>새 데이터셋</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>새 이름:</translation>
    </message>
    <message>
        <source>New…</source>
        <translation>새로 만들기…</translation>
    </message>
    <message>
        <source>No dataset yet — drop songs to start one.</source>
        <translation>아직 데이터셋이 없습니다. 곡을 끌어다 놓으면 시작됩니다.</translation>
    </message>
    <message>
        <source>Remove from dataset</source>
        <translation>데이터셋에서 제거</translation>
    </message>
    <message>
        <source>Rename dataset</source>
        <translation>데이터셋 이름 변경</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>이름 변경…</translation>
    </message>
    <message>
        <source>Show file</source>
        <translation>파일 보기</translation>
    </message>
    <message>
        <source>Show in Finder</source>
        <translation>Finder에서 보기</translation>
    </message>
    <message>
        <source>see why</source>
        <translation>이유 보기</translation>
    </message>
</context>
<context>
    <name>ErrorReporter</name>
    <message>
        <source>Show Log</source>
        <translation>로그 보기</translation>
    </message>
    <message>
        <source>Something went wrong inside mixgrv.</source>
        <translation>mixgrv에 예기치 않은 문제가 발생했습니다.</translation>
    </message>
    <message>
        <source>Your files are safe. You can keep working, or quit and open mixgrv again.

The details were written to the log:
{path}</source>
        <translation>파일은 안전합니다. 계속 작업하거나, 종료한 뒤 mixgrv를 다시 열어 주세요.

자세한 내용은 로그에 기록했습니다:
{path}</translation>
    </message>
    <message>
        <source>mixgrv</source>
        <translation>mixgrv</translation>
    </message>
    <message>
        <source>standard error (no log file could be written)</source>
        <translation>표준 오류 출력 (로그 파일을 쓸 수 없음)</translation>
    </message>
</context>
<context>
    <name>FormatReview</name>
    <message>
        <source>After</source>
        <translation>다듬은 후</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>다듬기 전</translation>
    </message>
    <message>
        <source>Keep mine</source>
        <translation>내 것 유지</translation>
    </message>
    <message>
        <source>Polished caption and lyrics</source>
        <translation>다듬은 곡 설명과 가사</translation>
    </message>
    <message>
        <source>Use the polished version</source>
        <translation>다듬은 것 사용</translation>
    </message>
</context>
<context>
    <name>GenerationTab</name>
    <message numerus="yes">
        <source>%n take(s) ready.</source>
        <translation>
            <numerusform>테이크 %n개가 준비되었습니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>A/B against the source: press Space to play, 1–2 to switch.</source>
        <translation>소스와 A/B 비교: 스페이스로 재생, 1–2로 전환하세요.</translation>
    </message>
    <message>
        <source>A/B needs a LoRA: load an adapter in the LoRA panel, then press A/B again.</source>
        <translation>A/B 비교에는 LoRA가 필요합니다. LoRA 패널에서 어댑터를 불러온 뒤 A/B를 다시 누르세요.</translation>
    </message>
    <message>
        <source>A/B ready: press Space to play, 1–3 to switch.</source>
        <translation>A/B 비교가 준비되었습니다. 스페이스로 재생하고 1–3으로 전환하세요.</translation>
    </message>
    <message>
        <source>A/B take {n} of {total}</source>
        <translation>A/B 테이크 {n}/{total}</translation>
    </message>
    <message>
        <source>Apple GPU (MPS)</source>
        <translation>Apple GPU (MPS)</translation>
    </message>
    <message>
        <source>Apple GPU (Metal)</source>
        <translation>Apple GPU (Metal)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>취소하는 중…</translation>
    </message>
    <message>
        <source>Decoding audio…</source>
        <translation>디코딩 중…</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>생성</translation>
    </message>
    <message>
        <source>Generating with {backend}: {reason}</source>
        <translation>{backend}(으)로 생성합니다: {reason}</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>생성 중…</translation>
    </message>
    <message>
        <source>Generation cancelled.</source>
        <translation>생성을 취소했습니다.</translation>
    </message>
    <message>
        <source>Loading models…</source>
        <translation>모델 불러오는 중…</translation>
    </message>
    <message>
        <source>Make a song</source>
        <translation>새 곡 만들기</translation>
    </message>
    <message>
        <source>Preparing the A/B comparison…</source>
        <translation>A/B 비교 준비 중…</translation>
    </message>
    <message>
        <source>Preparing…</source>
        <translation>준비 중…</translation>
    </message>
    <message>
        <source>Reading the caption and lyrics…</source>
        <translation>텍스트 인코딩 중…</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <source>Settings of this take are back in the form (seed {seed}).</source>
        <translation>이 테이크의 설정을 양식에 다시 채웠습니다 (시드 {seed}).</translation>
    </message>
    <message>
        <source>Step {done}/{total}</source>
        <translation>단계 {done}/{total}</translation>
    </message>
    <message>
        <source>The source of this take is gone, so it cannot be compared.</source>
        <translation>이 테이크의 소스 파일이 없어 비교할 수 없습니다. 소스를 다시 넣고 만들어 보세요.</translation>
    </message>
    <message>
        <source>The take could not be made: {reason}</source>
        <translation>테이크를 만들지 못했습니다: {reason}</translation>
    </message>
    <message>
        <source>Thinking… {rate} tokens/s</source>
        <translation>구상 중… {rate} 토큰/초</translation>
    </message>
    <message>
        <source>This adapter does not fit the model: {reason}</source>
        <translation>이 어댑터는 모델과 맞지 않습니다: {reason}</translation>
    </message>
    <message>
        <source>This take is now the source: choose a task and press Generate.</source>
        <translation>이 테이크가 소스가 되었습니다. 작업을 고르고 생성을 누르세요.</translation>
    </message>
    <message>
        <source>about {time} left</source>
        <translation>약 {time} 남음</translation>
    </message>
    <message>
        <source>almost done</source>
        <translation>거의 다 됐습니다</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>작업 중</translation>
    </message>
    <message>
        <source>error</source>
        <translation>오류</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>준비됨</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h}시간 {m}분</translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation>{m}분 {s}초</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s}초</translation>
    </message>
    <message>
        <source>⌘↩ generates · Space plays or pauses</source>
        <translation>⌘↩ 생성 · 스페이스 재생/일시정지</translation>
    </message>
</context>
<context>
    <name>ImportReportDialog</name>
    <message>
        <source>Import report</source>
        <translation>가져오기 결과</translation>
    </message>
</context>
<context>
    <name>LMController</name>
    <message>
        <source>Caption</source>
        <translation>곡 설명</translation>
    </message>
    <message>
        <source>Compare before and after, then choose.</source>
        <translation>전후를 비교해 고르세요.</translation>
    </message>
    <message>
        <source>Kept your caption and lyrics.</source>
        <translation>입력한 곡 설명과 가사를 그대로 두었습니다.</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>조성</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Language: the LM chooses</source>
        <translation>언어: LM이 정함</translation>
    </message>
    <message>
        <source>Length (s)</source>
        <translation>길이(초)</translation>
    </message>
    <message>
        <source>Loading the LM…</source>
        <translation>LM을 불러오는 중…</translation>
    </message>
    <message>
        <source>Lyrics</source>
        <translation>가사</translation>
    </message>
    <message>
        <source>Needs a 5 Hz LM. Download one under Settings &gt; Models…</source>
        <translation>5 Hz LM이 필요합니다. 설정 &gt; 모델…에서 내려받으세요.</translation>
    </message>
    <message>
        <source>Polish</source>
        <translation>다듬기</translation>
    </message>
    <message>
        <source>Stopped. The form is unchanged.</source>
        <translation>중단했습니다. 입력란은 그대로입니다.</translation>
    </message>
    <message>
        <source>The LM filled the form. Review it, then press Generate (or Undo).</source>
        <translation>LM이 입력란을 채웠습니다. 검토한 뒤 생성을 누르세요(되돌리기도 가능).</translation>
    </message>
    <message>
        <source>The LM rewrites your caption and lyrics into the form the model knows best; you see before and after and choose.</source>
        <translation>LM이 곡 설명과 가사를 모델이 가장 잘 아는 형식으로 고쳐 씁니다. 전후를 보고 고르세요.</translation>
    </message>
    <message>
        <source>The LM&apos;s choices are in the form.</source>
        <translation>LM이 고른 값을 입력란에 넣었습니다.</translation>
    </message>
    <message>
        <source>The form is back as it was.</source>
        <translation>입력란을 이전 상태로 되돌렸습니다.</translation>
    </message>
    <message>
        <source>The polished caption and lyrics are in the form (Undo puts yours back).</source>
        <translation>다듬은 곡 설명과 가사를 넣었습니다(되돌리기로 원래 것을 복원).</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>구상 중…</translation>
    </message>
    <message>
        <source>Thinking… %1 tokens · %2</source>
        <translation>구상 중… 토큰 %1개 · %2</translation>
    </message>
    <message>
        <source>Time signature</source>
        <translation>박자</translation>
    </message>
</context>
<context>
    <name>LMPlan</name>
    <message>
        <source>%1 s</source>
        <translation>%1초</translation>
    </message>
    <message>
        <source>LM plan</source>
        <translation>LM 구상</translation>
    </message>
</context>
<context>
    <name>LMSettingsBox</name>
    <message>
        <source>Bigger LMs plan better and need more memory (0.6B: 3 GB, 1.7B: 8 GB, 4B: 12 GB).</source>
        <translation>큰 LM일수록 더 잘 구상하지만 메모리가 더 필요합니다 (0.6B: 3 GB, 1.7B: 8 GB, 4B: 12 GB).</translation>
    </message>
    <message>
        <source>Codes strength</source>
        <translation>코드 강도</translation>
    </message>
    <message>
        <source>How adventurous the LM&apos;s plan is; 0 always picks the likeliest choice.</source>
        <translation>LM의 구상이 얼마나 과감한지 정합니다. 0이면 늘 가장 그럴듯한 선택을 합니다.</translation>
    </message>
    <message>
        <source>How much of the rendering follows the LM&apos;s audio codes (1 = all steps).</source>
        <translation>렌더링이 LM의 오디오 코드를 얼마나 따를지 정합니다 (1 = 모든 단계).</translation>
    </message>
    <message>
        <source>How strongly the audio codes follow your caption (1 = off).</source>
        <translation>오디오 코드가 곡 설명을 얼마나 강하게 따를지 정합니다 (1 = 끔).</translation>
    </message>
    <message>
        <source>LM (thinking)</source>
        <translation>LM (생각하기)</translation>
    </message>
    <message>
        <source>LM CFG</source>
        <translation>LM CFG</translation>
    </message>
    <message>
        <source>LM size</source>
        <translation>LM 크기</translation>
    </message>
    <message>
        <source>Negative prompt</source>
        <translation>네거티브 프롬프트</translation>
    </message>
    <message>
        <source>Only the k likeliest choices are considered (0 = off).</source>
        <translation>가장 그럴듯한 k개의 선택만 고려합니다 (0 = 끔).</translation>
    </message>
    <message>
        <source>Only the likeliest choices that add up to this share are considered (1 = off).</source>
        <translation>합쳐서 이 비율이 되는 가장 그럴듯한 선택만 고려합니다 (1 = 끔).</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>온도</translation>
    </message>
    <message>
        <source>The 5 Hz LM plans the song first (BPM, key, caption, audio codes), then the model renders it.</source>
        <translation>5 Hz LM이 먼저 곡을 구상하고(BPM, 조성, 곡 설명, 오디오 코드) 모델이 그것을 렌더링합니다.</translation>
    </message>
    <message>
        <source>The LM fills the BPM, key and time signature you left on auto.</source>
        <translation>자동으로 둔 BPM, 조성, 박자를 LM이 채웁니다.</translation>
    </message>
    <message>
        <source>The caption the LM writes replaces yours for the rendering.</source>
        <translation>렌더링에는 LM이 쓴 곡 설명을 대신 씁니다.</translation>
    </message>
    <message>
        <source>The vocal language the LM names is used when yours is not set.</source>
        <translation>보컬 언어를 정하지 않았으면 LM이 고른 언어를 씁니다.</translation>
    </message>
    <message>
        <source>Think</source>
        <translation>생각하기</translation>
    </message>
    <message>
        <source>Thinking needs a 5 Hz LM. Download one under Settings &gt; Models…</source>
        <translation>생각하기에는 5 Hz LM이 필요합니다. 설정 &gt; 모델…에서 내려받으세요.</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Use its BPM/key/time</source>
        <translation>LM의 BPM·조성·박자 사용</translation>
    </message>
    <message>
        <source>Use its caption</source>
        <translation>LM의 곡 설명 사용</translation>
    </message>
    <message>
        <source>Use its language</source>
        <translation>LM의 언어 사용</translation>
    </message>
    <message>
        <source>What the LM steers away from when it writes the audio codes.</source>
        <translation>LM이 오디오 코드를 쓸 때 피하는 내용입니다.</translation>
    </message>
</context>
<context>
    <name>Lane</name>
    <message>
        <source>LoRA {n}%</source>
        <translation>LoRA {n}%</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>소스</translation>
    </message>
    <message>
        <source>This take</source>
        <translation>이 테이크</translation>
    </message>
    <message>
        <source>Without LoRA</source>
        <translation>LoRA 없이</translation>
    </message>
</context>
<context>
    <name>Languages</name>
    <message>
        <source>Arabic</source>
        <translation>아랍어</translation>
    </message>
    <message>
        <source>Azerbaijani</source>
        <translation>아제르바이잔어</translation>
    </message>
    <message>
        <source>Bengali</source>
        <translation>벵골어</translation>
    </message>
    <message>
        <source>Bulgarian</source>
        <translation>불가리아어</translation>
    </message>
    <message>
        <source>Cantonese</source>
        <translation>광둥어</translation>
    </message>
    <message>
        <source>Catalan</source>
        <translation>카탈루냐어</translation>
    </message>
    <message>
        <source>Chinese (Mandarin)</source>
        <translation>중국어 (표준어)</translation>
    </message>
    <message>
        <source>Croatian</source>
        <translation>크로아티아어</translation>
    </message>
    <message>
        <source>Czech</source>
        <translation>체코어</translation>
    </message>
    <message>
        <source>Danish</source>
        <translation>덴마크어</translation>
    </message>
    <message>
        <source>Dutch</source>
        <translation>네덜란드어</translation>
    </message>
    <message>
        <source>English</source>
        <translation>영어</translation>
    </message>
    <message>
        <source>Finnish</source>
        <translation>핀란드어</translation>
    </message>
    <message>
        <source>French</source>
        <translation>프랑스어</translation>
    </message>
    <message>
        <source>German</source>
        <translation>독일어</translation>
    </message>
    <message>
        <source>Greek</source>
        <translation>그리스어</translation>
    </message>
    <message>
        <source>Haitian Creole</source>
        <translation>아이티 크리올어</translation>
    </message>
    <message>
        <source>Hebrew</source>
        <translation>히브리어</translation>
    </message>
    <message>
        <source>Hindi</source>
        <translation>힌디어</translation>
    </message>
    <message>
        <source>Hungarian</source>
        <translation>헝가리어</translation>
    </message>
    <message>
        <source>Icelandic</source>
        <translation>아이슬란드어</translation>
    </message>
    <message>
        <source>Indonesian</source>
        <translation>인도네시아어</translation>
    </message>
    <message>
        <source>Italian</source>
        <translation>이탈리아어</translation>
    </message>
    <message>
        <source>Japanese</source>
        <translation>일본어</translation>
    </message>
    <message>
        <source>Korean</source>
        <translation>한국어</translation>
    </message>
    <message>
        <source>Latin</source>
        <translation>라틴어</translation>
    </message>
    <message>
        <source>Lithuanian</source>
        <translation>리투아니아어</translation>
    </message>
    <message>
        <source>Malay</source>
        <translation>말레이어</translation>
    </message>
    <message>
        <source>Nepali</source>
        <translation>네팔어</translation>
    </message>
    <message>
        <source>Norwegian</source>
        <translation>노르웨이어</translation>
    </message>
    <message>
        <source>Other / unknown</source>
        <translation>기타 / 알 수 없음</translation>
    </message>
    <message>
        <source>Persian</source>
        <translation>페르시아어</translation>
    </message>
    <message>
        <source>Polish</source>
        <translation>폴란드어</translation>
    </message>
    <message>
        <source>Portuguese</source>
        <translation>포르투갈어</translation>
    </message>
    <message>
        <source>Punjabi</source>
        <translation>펀자브어</translation>
    </message>
    <message>
        <source>Romanian</source>
        <translation>루마니아어</translation>
    </message>
    <message>
        <source>Russian</source>
        <translation>러시아어</translation>
    </message>
    <message>
        <source>Sanskrit</source>
        <translation>산스크리트어</translation>
    </message>
    <message>
        <source>Serbian</source>
        <translation>세르비아어</translation>
    </message>
    <message>
        <source>Slovak</source>
        <translation>슬로바키아어</translation>
    </message>
    <message>
        <source>Spanish</source>
        <translation>스페인어</translation>
    </message>
    <message>
        <source>Swahili</source>
        <translation>스와힐리어</translation>
    </message>
    <message>
        <source>Swedish</source>
        <translation>스웨덴어</translation>
    </message>
    <message>
        <source>Tagalog</source>
        <translation>타갈로그어</translation>
    </message>
    <message>
        <source>Tamil</source>
        <translation>타밀어</translation>
    </message>
    <message>
        <source>Telugu</source>
        <translation>텔루구어</translation>
    </message>
    <message>
        <source>Thai</source>
        <translation>태국어</translation>
    </message>
    <message>
        <source>Turkish</source>
        <translation>튀르키예어</translation>
    </message>
    <message>
        <source>Ukrainian</source>
        <translation>우크라이나어</translation>
    </message>
    <message>
        <source>Urdu</source>
        <translation>우르두어</translation>
    </message>
    <message>
        <source>Vietnamese</source>
        <translation>베트남어</translation>
    </message>
</context>
<context>
    <name>LoraPanel</name>
    <message>
        <source>Add a LoRA adapter folder (adapter_config.json + adapter_model.safetensors) from anywhere</source>
        <translation>어디에 있든 LoRA 어댑터 폴더(adapter_config.json + adapter_model.safetensors)를 추가합니다</translation>
    </message>
    <message>
        <source>Choose a LoRA adapter folder</source>
        <translation>LoRA 어댑터 폴더 선택</translation>
    </message>
    <message>
        <source>Import Folder…</source>
        <translation>폴더 가져오기…</translation>
    </message>
    <message>
        <source>Imported “{name}” (rank {r}).</source>
        <translation>“{name}”을(를) 가져왔습니다 (랭크 {r}).</translation>
    </message>
    <message>
        <source>LoRA adapters</source>
        <translation>LoRA 어댑터</translation>
    </message>
    <message>
        <source>Next take uses: {list}</source>
        <translation>다음 테이크에 적용: {list}</translation>
    </message>
    <message>
        <source>No LoRA: the base model sings on its own.</source>
        <translation>LoRA 없음: 기본 모델만으로 생성합니다.</translation>
    </message>
    <message>
        <source>No adapters yet. Train one in the Training tab, or import a folder.</source>
        <translation>아직 어댑터가 없습니다. 트레이닝 탭에서 학습하거나 폴더를 가져오세요.</translation>
    </message>
</context>
<context>
    <name>LossChart</name>
    <message>
        <source>Loss</source>
        <translation>손실</translation>
    </message>
    <message>
        <source>Loss (raw)</source>
        <extracomment>weight of the newest point in the moving average (0.1 ≈ smoothing over ~10 steps)</extracomment>
        <translation>손실 (원본)</translation>
    </message>
    <message>
        <source>Loss (smoothed)</source>
        <translation>손실 (평활)</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>스텝</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n item(s) sent to the Training tab.</source>
        <translation>
            <numerusform>항목 %n개를 트레이닝 탭으로 보냈습니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;h3&gt;mixgrv {version}&lt;/h3&gt;&lt;p&gt;Train LoRA adapters for ACE-Step 1.5 on your own Mac, and make music with them.&lt;/p&gt;&lt;p&gt;Your data: {data}&lt;/p&gt;</source>
        <translation>&lt;h3&gt;mixgrv {version}&lt;/h3&gt;&lt;p&gt;내 Mac에서 ACE-Step 1.5용 LoRA 어댑터를 학습하고, 그 어댑터로 음악을 만드세요.&lt;/p&gt;&lt;p&gt;데이터 위치: {data}&lt;/p&gt;</translation>
    </message>
    <message>
        <source>A job is still running</source>
        <translation>작업이 진행 중입니다</translation>
    </message>
    <message>
        <source>A model is being downloaded</source>
        <translation>모델을 다운로드하는 중입니다</translation>
    </message>
    <message>
        <source>A song is being generated</source>
        <translation>곡을 생성하는 중입니다</translation>
    </message>
    <message>
        <source>About mixgrv</source>
        <translation>mixgrv 정보</translation>
    </message>
    <message>
        <source>An export is not finished yet</source>
        <translation>내보내기가 아직 끝나지 않았습니다</translation>
    </message>
    <message>
        <source>Apple GPU (Metal)</source>
        <translation>Apple GPU (Metal)</translation>
    </message>
    <message>
        <source>Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.aac *.ogg *.opus *.wma);;All files (*)</source>
        <translation>오디오 파일 (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.aac *.ogg *.opus *.wma);;모든 파일 (*)</translation>
    </message>
    <message>
        <source>Automatic (MLX on Apple Silicon)</source>
        <translation>자동 (Apple Silicon에서는 MLX)</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>백엔드</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>장치</translation>
    </message>
    <message>
        <source>Drop to add these songs to your training dataset</source>
        <translation>놓으면 이 곡들을 트레이닝 데이터셋에 추가합니다</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Full Screen</source>
        <translation>전체 화면</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>생성</translation>
    </message>
    <message>
        <source>Generation Backend</source>
        <translation>생성 백엔드</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>도움말</translation>
    </message>
    <message>
        <source>Import Audio</source>
        <translation>오디오 가져오기</translation>
    </message>
    <message>
        <source>Import Audio…</source>
        <translation>오디오 가져오기…</translation>
    </message>
    <message>
        <source>Keep Training</source>
        <translation>계속 학습</translation>
    </message>
    <message>
        <source>Keep Working</source>
        <translation>계속 작업</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>MLX (Apple GPU)</source>
        <translation>MLX (Apple GPU)</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Model download stopped. It continues where it stopped when you download again.</source>
        <translation>모델 다운로드를 멈췄습니다. 다시 받으면 멈춘 곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Models…</source>
        <translation>모델…</translation>
    </message>
    <message>
        <source>Nothing to import: the files were not found.</source>
        <translation>가져올 항목이 없습니다. 파일을 찾을 수 없습니다.</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>Quit Without Saving</source>
        <translation>저장하지 않고 종료</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Show Data Folder</source>
        <translation>데이터 폴더 보기</translation>
    </message>
    <message>
        <source>Show Log Folder</source>
        <translation>로그 폴더 보기</translation>
    </message>
    <message>
        <source>Something went wrong while opening this tab. The details were written to the log:</source>
        <translation>이 탭을 여는 중에 문제가 발생했습니다. 자세한 내용은 로그에 기록했습니다:</translation>
    </message>
    <message>
        <source>Songs are being imported</source>
        <translation>노래를 가져오는 중입니다</translation>
    </message>
    <message>
        <source>Songs are being labelled</source>
        <translation>노래에 라벨을 붙이는 중입니다</translation>
    </message>
    <message>
        <source>Songs are being prepared for training</source>
        <translation>학습할 노래를 준비하는 중입니다</translation>
    </message>
    <message>
        <source>Stop and save ends the work after its current step and keeps what is done (a training run saves a checkpoint you can resume), then mixgrv quits.</source>
        <translation>중지하고 저장하면 지금 단계가 끝난 뒤 작업을 멈추고 한 만큼 보관한 다음 종료합니다. 학습은 체크포인트를 저장하므로 나중에 이어서 학습할 수 있습니다.</translation>
    </message>
    <message>
        <source>Stop and save keeps what is done (finished songs, a finished export), then mixgrv quits.</source>
        <translation>중지하고 저장하면 끝난 만큼(준비된 노래, 마무리된 내보내기)을 보관한 다음 종료합니다.</translation>
    </message>
    <message>
        <source>Stop, Save and Quit</source>
        <translation>중지하고 저장 후 종료</translation>
    </message>
    <message>
        <source>Stopping and saving… mixgrv quits when the work is saved.</source>
        <translation>중지하고 저장하는 중… 저장이 끝나면 mixgrv가 종료됩니다.</translation>
    </message>
    <message>
        <source>System Default</source>
        <translation>시스템</translation>
    </message>
    <message>
        <source>The Training tab cannot import audio yet.</source>
        <translation>트레이닝 탭은 아직 오디오를 가져올 수 없습니다.</translation>
    </message>
    <message>
        <source>The models are ready.</source>
        <translation>모델이 준비되었습니다.</translation>
    </message>
    <message>
        <source>This adapter could not be loaded in the Generation tab.</source>
        <translation>이 어댑터를 생성 탭에 불러오지 못했습니다. 트레이닝 탭에서 다른 체크포인트를 골라 보세요.</translation>
    </message>
    <message>
        <source>This part of mixgrv could not be opened</source>
        <extracomment>the window painted its first frame (bench/startup.py measures up to here) the tab on screen is built: the window can be used (bench/startup.py&apos;s &quot;tabs usable&quot;) both tab bodies exist (the hidden one is built one event-loop turn later, or on first use)</extracomment>
        <translation>mixgrv의 이 부분을 열 수 없습니다</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>트레이닝</translation>
    </message>
    <message>
        <source>Training is in progress</source>
        <translation>학습이 진행 중입니다</translation>
    </message>
    <message>
        <source>View</source>
        <translation>보기</translation>
    </message>
    <message>
        <source>checking {percent}%</source>
        <translation>검증 중 {percent}%</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>검증 중…</translation>
    </message>
    <message>
        <source>downloading {percent}%</source>
        <translation>받는 중 {percent}%</translation>
    </message>
    <message>
        <source>downloading…</source>
        <translation>받는 중…</translation>
    </message>
    <message>
        <source>found</source>
        <translation>있음</translation>
    </message>
    <message>
        <source>mixgrv started, but some things need your attention.</source>
        <translation>mixgrv가 시작되었지만 확인이 필요한 항목이 있습니다.</translation>
    </message>
    <message>
        <source>not downloaded</source>
        <translation>다운로드 필요</translation>
    </message>
    <message>
        <source>“{name}” is loaded at full strength for the next take.</source>
        <translation>“{name}” 어댑터를 최대 강도로 불러왔습니다. 다음 생성에 적용됩니다.</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>&apos;{name}&apos; cannot be a dataset name. Use 1-120 characters without / \ : and not starting with a dot.</source>
        <translation>&apos;{name}&apos;은(는) 데이터셋 이름으로 쓸 수 없습니다. / \ : 없이 1~120자로, 점(.)으로 시작하지 않게 지어 주세요.</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; is not a known model. Choose one of: {known}.</source>
        <translation>&apos;{name}&apos;은(는) 알 수 없는 모델입니다. 다음 중에서 선택하세요: {known}.</translation>
    </message>
    <message>
        <source>&apos;{value}&apos; is not a supported language code. Choose a language from the list.</source>
        <translation>&apos;{value}&apos;은(는) 지원하지 않는 언어 코드입니다. 목록에서 언어를 고르세요.</translation>
    </message>
    <message>
        <source>&apos;{value}&apos; is not a valid value for {field}. Check the value and try again.</source>
        <translation>&apos;{value}&apos;은(는) {field}에 쓸 수 없는 값입니다. 값을 확인하고 다시 시도하세요.</translation>
    </message>
    <message>
        <source>A dataset named &apos;{name}&apos; already exists here. Unpack the bundle under another name (--name) or delete that dataset first.</source>
        <translation>&apos;{name}&apos; 데이터셋이 이미 있습니다. 다른 이름(--name)으로 번들을 풀거나 기존 데이터셋을 먼저 삭제하세요.</translation>
    </message>
    <message>
        <source>A dataset named &apos;{name}&apos; already exists. Pick another name.</source>
        <translation>&apos;{name}&apos; 데이터셋이 이미 있습니다. 다른 이름을 고르세요.</translation>
    </message>
    <message>
        <source>A run named &apos;{run}&apos; already exists. Choose another name.</source>
        <translation>&apos;{run}&apos; 실행이 이미 있습니다. 다른 이름을 고르세요.</translation>
    </message>
    <message>
        <source>A {bits}-bit LM is offered on MLX only, with 4 or 8 bits. Choose MLX or the full-precision LM.</source>
        <translation>{bits}비트 LM은 MLX에서 4비트나 8비트로만 제공됩니다. MLX를 고르거나 원래 정밀도의 LM을 쓰세요.</translation>
    </message>
    <message>
        <source>Apple GPUs train in one process only. Start the run without --nproc, or choose the CPU.</source>
        <translation>Apple GPU는 한 프로세스로만 학습합니다. --nproc 없이 시작하거나 CPU를 선택하세요.</translation>
    </message>
    <message>
        <source>Cannot use the {backend} backend: {reason}. Choose the torch backend.</source>
        <translation>{backend} 백엔드를 쓸 수 없습니다: {reason}. torch 백엔드를 선택하세요.</translation>
    </message>
    <message>
        <source>Cannot write {extension} files; choose a .wav, .flac or .mp3 file name.</source>
        <translation>{extension} 파일은 쓸 수 없습니다. .wav, .flac 또는 .mp3 파일 이름을 고르세요.</translation>
    </message>
    <message>
        <source>Could not copy {name} into the dataset ({reason}). Check free disk space.</source>
        <translation>{name}을(를) 데이터셋에 복사하지 못했습니다({reason}). 디스크 여유 공간을 확인하세요.</translation>
    </message>
    <message>
        <source>Could not delete {path} ({reason}). Close programs using it and try again.</source>
        <translation>{path}을(를) 삭제하지 못했습니다({reason}). 이 폴더를 사용하는 프로그램을 닫고 다시 시도하세요.</translation>
    </message>
    <message>
        <source>Could not download from {endpoint} ({reason}). Check the internet connection or proxy, then download again: finished files are kept.</source>
        <translation>{endpoint}에서 다운로드하지 못했습니다({reason}). 인터넷 연결이나 프록시를 확인한 뒤 다시 다운로드하세요. 이미 받은 파일은 그대로 남아 있습니다.</translation>
    </message>
    <message>
        <source>Could not load {component} from {path}: {reason}. Download the model folder again.</source>
        <translation>{path}에서 {component}을(를) 불러오지 못했습니다: {reason}. 모델 폴더를 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>Could not write {path} ({reason}). Check that the models folder is writable, or choose another one.</source>
        <translation>{path}에 쓰지 못했습니다({reason}). 모델 폴더에 쓰기 권한이 있는지 확인하거나 다른 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Could not write {path}: {reason}. Check free disk space and folder permissions.</source>
        <translation>{path}에 쓰지 못했습니다: {reason}. 디스크 여유 공간과 폴더 권한을 확인하세요.</translation>
    </message>
    <message>
        <source>Custom timesteps must be numbers between 0 and 1.</source>
        <translation>사용자 지정 타임스텝은 0과 1 사이의 숫자여야 합니다.</translation>
    </message>
    <message>
        <source>Dataset &apos;{dataset}&apos; has no tracks to preprocess. Add songs first.</source>
        <translation>&apos;{dataset}&apos; 데이터셋에 전처리할 곡이 없습니다. 먼저 곡을 추가하세요.</translation>
    </message>
    <message>
        <source>Every requested model is already installed.</source>
        <translation>요청한 모델이 모두 이미 설치되어 있습니다.</translation>
    </message>
    <message>
        <source>No adapter named &apos;{name}&apos; is loaded. Add it again.</source>
        <translation>&apos;{name}&apos; 어댑터가 불러와져 있지 않습니다. 다시 추가하세요.</translation>
    </message>
    <message>
        <source>Not enough free space in {path}: {needed} GB needed, {free} GB free. Free some space or choose another models folder.</source>
        <translation>{path}에 여유 공간이 부족합니다. {needed} GB가 필요하지만 {free} GB만 남아 있습니다. 공간을 확보하거나 다른 모델 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Offline mode is on (HF_HUB_OFFLINE), so {repo} cannot be downloaded. Turn offline mode off, or choose a folder that already has the models.</source>
        <translation>오프라인 모드(HF_HUB_OFFLINE)가 켜져 있어 {repo}을(를) 다운로드할 수 없습니다. 오프라인 모드를 끄거나 모델이 이미 있는 폴더를 선택하세요.</translation>
    </message>
    <message>
        <source>Pasted audio codes make a cover; the {task} task cannot use them. Choose the cover task or clear the codes.</source>
        <translation>붙여넣은 오디오 코드는 커버를 만듭니다. {task} 작업에는 쓸 수 없으니 커버 작업을 고르거나 코드를 지우세요.</translation>
    </message>
    <message>
        <source>Seed {seed} was drawn for this take; reuse it to get the same song again.</source>
        <translation>이번 결과에는 시드 {seed}를 썼습니다. 같은 곡을 다시 얻으려면 이 시드를 쓰세요.</translation>
    </message>
    <message>
        <source>Something went wrong inside mixgrv ({reason}). Try again; if it keeps happening, send the log file (Help menu) to the developers.</source>
        <translation>mixgrv 내부에서 문제가 생겼습니다 ({reason}). 다시 시도해 보세요. 계속 그러면 로그 파일(도움말 메뉴)을 개발자에게 보내 주세요.</translation>
    </message>
    <message>
        <source>Step {step} produced NaN and was skipped.</source>
        <translation>스텝 {step}에서 NaN이 나와 건너뛰었습니다.</translation>
    </message>
    <message>
        <source>Text to music needs a duration. Enter {min} to {max} seconds.</source>
        <translation>텍스트→음악에는 길이가 필요합니다. {min}~{max}초를 입력하세요.</translation>
    </message>
    <message>
        <source>The 5 Hz LM folder {folder} is not in {path}. Download {folder} from the ACE-Step release into that folder, or turn thinking off.</source>
        <translation>5 Hz LM 폴더 {folder}이(가) {path}에 없습니다. ACE-Step 릴리스에서 {folder}을(를) 받아 그 폴더에 넣거나, 생각하기(think)를 끄세요.</translation>
    </message>
    <message>
        <source>The 5 Hz LM folder {path} has no chat template (chat_template.jinja). Download the LM folder again.</source>
        <translation>5 Hz LM 폴더 {path}에 채팅 템플릿(chat_template.jinja)이 없습니다. LM 폴더를 다시 받으세요.</translation>
    </message>
    <message>
        <source>The BPM {value} is out of range; choose {min} to {max} or leave it empty.</source>
        <translation>BPM {value}은(는) 범위를 벗어났습니다. {min}~{max} 사이로 정하거나 비워 두세요.</translation>
    </message>
    <message>
        <source>The CSV value &apos;{value}&apos; for {field} was ignored. Fix it in the CSV or edit the track.</source>
        <translation>CSV의 {field} 값 &apos;{value}&apos;은(는) 무시했습니다. CSV에서 고치거나 트랙을 직접 편집하세요.</translation>
    </message>
    <message>
        <source>The LM planned no length and wrote no audio codes. Set a length, or think again with another seed.</source>
        <translation>LM이 곡 길이를 정하지 않았고 오디오 코드도 쓰지 않았습니다. 길이를 직접 정하거나 다른 시드로 다시 생각해 보세요.</translation>
    </message>
    <message>
        <source>The LM setting {field} = {value} is out of range. Use the default or a value the option&apos;s help names.</source>
        <translation>LM 설정 {field} = {value}은(는) 허용 범위를 벗어났습니다. 기본값을 쓰거나 옵션 도움말에 나온 범위의 값을 넣으세요.</translation>
    </message>
    <message>
        <source>The LM tokenizer has no token for audio code {value}. Download the LM folder again.</source>
        <translation>LM 토크나이저에 오디오 코드 {value}의 토큰이 없습니다. LM 폴더를 다시 받으세요.</translation>
    </message>
    <message>
        <source>The LoRA adapter folder {path} was not found. Check the path.</source>
        <translation>LoRA 어댑터 폴더 {path}를 찾을 수 없습니다. 경로를 확인하세요.</translation>
    </message>
    <message>
        <source>The LoRA adapter {path} cannot be read ({reason}). Export or train it again.</source>
        <translation>LoRA 어댑터 {path}를 읽을 수 없습니다({reason}). 다시 내보내거나 다시 학습하세요.</translation>
    </message>
    <message>
        <source>The LoRA adapter {path} could not be copied into the library ({reason}). Check the free disk space and try again.</source>
        <translation>LoRA 어댑터 {path}를 라이브러리로 복사하지 못했습니다({reason}). 남은 디스크 공간을 확인한 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The LoRA adapter {path} has no {file}. Choose the folder that holds adapter_config.json and adapter_model.safetensors.</source>
        <translation>LoRA 어댑터 {path}에 {file}이(가) 없습니다. adapter_config.json과 adapter_model.safetensors가 들어 있는 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>The LoRA scale {value} for {path} is out of range; choose 0 to 1.</source>
        <translation>{path}의 LoRA 강도 {value}은(는) 범위를 벗어났습니다. 0~1 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The adapter {name} was trained on another model variant than {variant}; it may sound different than expected.</source>
        <translation>어댑터 {name}은(는) {variant}와 다른 모델 변형으로 학습되었습니다. 예상과 다르게 들릴 수 있습니다.</translation>
    </message>
    <message>
        <source>The adapter {path} ({kind}) is not a plain LoRA adapter; only LoRA adapters are supported.</source>
        <translation>어댑터 {path}({kind})는 일반 LoRA 어댑터가 아닙니다. LoRA 어댑터만 지원합니다.</translation>
    </message>
    <message>
        <source>The adapter {path} does not fit the {variant} model ({module}: expected {expected}, found {found}). Use an adapter trained on this model.</source>
        <translation>어댑터 {path}가 {variant} 모델과 맞지 않습니다({module}: {expected} 필요, {found} 발견). 이 모델로 학습한 어댑터를 쓰세요.</translation>
    </message>
    <message>
        <source>The adapter {path} targets {module}, which the {variant} model does not have. Use an adapter trained on this model.</source>
        <translation>어댑터 {path}는 {variant} 모델에 없는 {module}을(를) 대상으로 합니다. 이 모델로 학습한 어댑터를 쓰세요.</translation>
    </message>
    <message>
        <source>The audio to write has the wrong shape ({shape}); this is a bug, please report it.</source>
        <translation>저장할 오디오의 형태({shape})가 올바르지 않습니다. 버그이니 알려 주세요.</translation>
    </message>
    <message>
        <source>The batch size {value} is out of range; choose {min} to {max}.</source>
        <translation>배치 크기 {value}은(는) 범위를 벗어났습니다. {min}~{max} 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The bundle {file} was refused: &apos;{member}&apos; {reason}. Ask for a new bundle made with &apos;mixgrv dataset pack&apos;.</source>
        <translation>번들 {file}을(를) 거부했습니다: &apos;{member}&apos; {reason}. &apos;mixgrv dataset pack&apos;으로 만든 새 번들을 받으세요.</translation>
    </message>
    <message>
        <source>The caption is empty. Describe the music you want (genre, instruments, mood).</source>
        <translation>곡 설명이 비어 있습니다. 원하는 음악을 설명해 주세요(장르, 악기, 분위기).</translation>
    </message>
    <message>
        <source>The checkpoint {checkpoint} does not fit this run. Start a new run instead.</source>
        <translation>체크포인트 {checkpoint}은(는) 이 실행과 맞지 않습니다. 새 실행을 시작하세요.</translation>
    </message>
    <message>
        <source>The dataset &apos;{dataset}&apos; is not prepared for training yet. Press “Prepare for training” first.</source>
        <translation>&apos;{dataset}&apos; 데이터셋은 아직 학습 준비가 되지 않았습니다. 먼저 “학습 준비”를 누르세요.</translation>
    </message>
    <message>
        <source>The dataset &apos;{name}&apos; has no prepared tensors to pack. Press “Prepare for training” first.</source>
        <translation>&apos;{name}&apos; 데이터셋에는 묶을 학습 준비 텐서가 없습니다. 먼저 “학습 준비”를 누르세요.</translation>
    </message>
    <message>
        <source>The dataset file {path} cannot be read ({reason}). Restore it from a backup or create the dataset again.</source>
        <translation>데이터셋 파일 {path}를 읽을 수 없습니다({reason}). 백업에서 복원하거나 데이터셋을 다시 만드세요.</translation>
    </message>
    <message>
        <source>The download process ended unexpectedly ({how}). Start the download again: it resumes where it stopped.</source>
        <translation>다운로드 프로세스가 예기치 않게 종료되었습니다({how}). 다시 다운로드를 시작하면 멈춘 곳부터 이어서 받습니다.</translation>
    </message>
    <message>
        <source>The duration {value} s is out of range; choose {min} to {max} seconds.</source>
        <translation>길이 {value}초는 범위를 벗어났습니다. {min}~{max}초 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The file contains {count} NaN/Inf samples. Re-export it from your audio editor.</source>
        <translation>파일에 NaN/Inf 샘플이 {count}개 있습니다. 오디오 편집기에서 다시 내보내세요.</translation>
    </message>
    <message>
        <source>The file {path} ({field}) was not found. Check the path and try again.</source>
        <translation>{path} 파일({field})을 찾을 수 없습니다. 경로를 확인하고 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The folder {path} does not exist. Choose the ACE-Step checkpoints folder under Settings.</source>
        <translation>{path} 폴더가 없습니다. 설정에서 ACE-Step 체크포인트 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>The folder {path} does not exist. Create it or choose another output path.</source>
        <translation>{path} 폴더가 없습니다. 폴더를 만들거나 다른 출력 경로를 고르세요.</translation>
    </message>
    <message>
        <source>The generator has {loaded} loaded, not {requested}. Load that model first.</source>
        <translation>생성기에 {requested}가 아니라 {loaded}가 불러와져 있습니다. 먼저 그 모델을 불러오세요.</translation>
    </message>
    <message>
        <source>The guidance {value} is out of range; choose {min} to {max}.</source>
        <translation>가이던스 {value}은(는) 범위를 벗어났습니다. {min}~{max} 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The initial noise has the wrong shape; this is a bug, please report it.</source>
        <translation>초기 노이즈의 형태가 올바르지 않습니다. 버그이니 알려 주세요.</translation>
    </message>
    <message>
        <source>The key &apos;{value}&apos; is too long; write it like &apos;C major&apos; or &apos;F# minor&apos;.</source>
        <translation>조성 &apos;{value}&apos;이(가) 너무 깁니다. &apos;C major&apos;나 &apos;F# minor&apos;처럼 쓰세요.</translation>
    </message>
    <message>
        <source>The loss stayed NaN for {steps} steps, so training stopped and kept the last good checkpoint. Prepare the songs again in float32 or lower the learning rate.</source>
        <translation>손실이 {steps}스텝 동안 NaN이어서 학습을 멈추고 마지막 정상 체크포인트를 남겼습니다. 곡을 float32로 다시 준비하거나 학습률을 낮추세요.</translation>
    </message>
    <message>
        <source>The model folder {component} is missing from {path}. Download it or choose another models folder.</source>
        <translation>{path}에 {component} 모델 폴더가 없습니다. 다운로드하거나 다른 모델 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>The model folder {folder} was not found. Choose the ACE-Step checkpoints folder in Settings and start again.</source>
        <translation>모델 폴더 {folder}을(를) 찾을 수 없습니다. 설정에서 ACE-Step 체크포인트 폴더를 고른 뒤 다시 시작하세요.</translation>
    </message>
    <message>
        <source>The model process stopped unexpectedly ({how}). Generate again to reload the models; if it happens again, choose a shorter duration or a smaller batch.</source>
        <translation>모델 프로세스가 예기치 않게 멈췄습니다 ({how}). 다시 생성하면 모델을 새로 불러옵니다. 또 그러면 길이를 줄이거나 배치 크기를 낮춰 주세요.</translation>
    </message>
    <message>
        <source>The model produced invalid values (NaN/Inf). Try another seed or generate on the CPU.</source>
        <translation>모델이 잘못된 값(NaN/Inf)을 냈습니다. 다른 시드로 해 보거나 CPU에서 생성하세요.</translation>
    </message>
    <message>
        <source>The model server refused access to {repo} ({status}). Set a valid Hugging Face token (HF_TOKEN), then try again.</source>
        <translation>모델 서버가 {repo}에 대한 접근을 거부했습니다({status}). 올바른 Hugging Face 토큰(HF_TOKEN)을 설정한 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The pasted audio codes contain no &lt;|audio_code_N|&gt; tokens. Paste the code string a Think take wrote, or clear the field.</source>
        <translation>붙여넣은 오디오 코드에 &lt;|audio_code_N|&gt; 토큰이 없습니다. Think로 만든 결과의 코드 문자열을 붙여넣거나 칸을 비우세요.</translation>
    </message>
    <message>
        <source>The prompt is {tokens} tokens; the LM reads at most {limit}. Shorten the caption or lyrics.</source>
        <translation>프롬프트가 {tokens} 토큰입니다. LM은 최대 {limit} 토큰까지 읽습니다. 캡션이나 가사를 줄이세요.</translation>
    </message>
    <message>
        <source>The repaint region needs an end after its start (start {start} s, end {end} s).</source>
        <translation>다시 그릴 구간은 끝이 시작보다 뒤여야 합니다(시작 {start}초, 끝 {end}초).</translation>
    </message>
    <message>
        <source>The run &apos;{run}&apos; has no checkpoint yet, so it cannot be resumed. Start it again.</source>
        <translation>&apos;{run}&apos; 실행에는 아직 체크포인트가 없어 이어서 할 수 없습니다. 다시 시작하세요.</translation>
    </message>
    <message>
        <source>The sample for this checkpoint could not be rendered; training goes on.</source>
        <translation>이 체크포인트의 샘플을 만들지 못했습니다. 학습은 계속됩니다.</translation>
    </message>
    <message>
        <source>The sample rate is only {sample_rate} Hz; the high frequencies are missing. Use a better source if you have one.</source>
        <translation>샘플레이트가 {sample_rate} Hz뿐이라 고음역이 빠져 있습니다. 더 좋은 원본이 있다면 그걸 쓰세요.</translation>
    </message>
    <message>
        <source>The seed {value} is not valid; use a whole number from 0 to {max}.</source>
        <translation>시드 {value}은(는) 올바르지 않습니다. 0부터 {max}까지의 정수를 쓰세요.</translation>
    </message>
    <message>
        <source>The shift {value} is out of range; choose {min} to {max}.</source>
        <translation>시프트 {value}은(는) 범위를 벗어났습니다. {min}~{max} 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The source {name} cannot be decoded ({reason}). Convert it to WAV or FLAC and choose it again.</source>
        <translation>소스 {name}을(를) 읽을 수 없습니다({reason}). WAV나 FLAC으로 변환한 뒤 다시 고르세요.</translation>
    </message>
    <message>
        <source>The source {name} is {seconds} s long; sources can be at most {max} s. Trim it in an audio editor and choose it again.</source>
        <translation>소스 {name}의 길이는 {seconds}초입니다. 소스는 최대 {max}초까지 쓸 수 있으니 오디오 편집기에서 잘라낸 뒤 다시 고르세요.</translation>
    </message>
    <message>
        <source>The step count {value} is out of range; choose {min} to {max}.</source>
        <translation>스텝 수 {value}은(는) 범위를 벗어났습니다. {min}~{max} 사이로 정하세요.</translation>
    </message>
    <message>
        <source>The time signature {value} is not supported; choose one of {choices}.</source>
        <translation>박자 {value}은(는) 지원하지 않습니다. {choices} 중에서 고르세요.</translation>
    </message>
    <message>
        <source>The track ends with {seconds} s of silence. Consider trimming it.</source>
        <translation>트랙 끝에 {seconds}초의 무음이 있습니다. 잘라 내는 것을 고려하세요.</translation>
    </message>
    <message>
        <source>The track is only {seconds} s long; tracks of at least 5 s train better.</source>
        <translation>트랙 길이가 {seconds}초뿐입니다. 5초 이상인 트랙이 학습에 더 좋습니다.</translation>
    </message>
    <message>
        <source>The track is silent. Remove it from the dataset.</source>
        <translation>트랙이 무음입니다. 데이터셋에서 제거하세요.</translation>
    </message>
    <message>
        <source>The track is very quiet ({lufs} LUFS). Check that it is the right file.</source>
        <translation>트랙 음량이 매우 작습니다({lufs} LUFS). 맞는 파일인지 확인하세요.</translation>
    </message>
    <message>
        <source>The track is {seconds} s long; only the first {max_seconds} s are used for training.</source>
        <translation>트랙 길이가 {seconds}초입니다. 학습에는 앞의 {max_seconds}초만 사용합니다.</translation>
    </message>
    <message>
        <source>The track starts with {seconds} s of silence. Consider trimming it.</source>
        <translation>트랙 앞에 {seconds}초의 무음이 있습니다. 잘라 내는 것을 고려하세요.</translation>
    </message>
    <message>
        <source>The training setting {setting} = {value} is not allowed. Change it and start again.</source>
        <translation>학습 설정 {setting} = {value}은(는) 허용되지 않습니다. 바꾼 뒤 다시 시작하세요.</translation>
    </message>
    <message>
        <source>The {device} device is not available on this machine. Choose cpu or auto.</source>
        <translation>이 컴퓨터에서는 {device} 장치를 쓸 수 없습니다. cpu 또는 auto를 고르세요.</translation>
    </message>
    <message>
        <source>The {nproc} training processes ended (exit code {code}) before the run started. Read the messages above, fix the cause and start again.</source>
        <translation>학습 프로세스 {nproc}개가 실행이 시작되기 전에 끝났습니다(종료 코드 {code}). 위의 메시지를 읽고 원인을 고친 뒤 다시 시작하세요.</translation>
    </message>
    <message>
        <source>The {size} LM needs about {need_gb} GB free, but only {free_gb} GB is free. Close other apps or choose a smaller LM (0.6B).</source>
        <translation>{size} LM에는 약 {need_gb} GB의 여유 메모리가 필요하지만 {free_gb} GB만 남아 있습니다. 다른 앱을 닫거나 더 작은 LM(0.6B)을 고르세요.</translation>
    </message>
    <message>
        <source>The {task} region {start}–{end} s is outside what this task allows. Choose {allowed}.</source>
        <translation>{task} 구간 {start}–{end}초는 이 작업에서 허용되지 않습니다. {allowed} 범위로 고르세요.</translation>
    </message>
    <message>
        <source>The {task} task needs a source audio file. Choose one and try again.</source>
        <translation>{task} 작업에는 원본 오디오 파일이 필요합니다. 파일을 고르고 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The {task} task needs a track from this list: {choices}. Choose one and try again.</source>
        <translation>{task} 작업에는 다음 중 하나의 트랙이 필요합니다: {choices}. 하나를 고른 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>The {task} task runs only on the base model ({model}): turbo and sft were tuned for text to music, cover and repaint, so it is offered only with base. Switch to {model} and try again.</source>
        <translation>{task} 작업은 베이스 모델({model})에서만 됩니다. turbo와 sft는 텍스트→음악, 커버, 다시 그리기에 맞춰 조정된 모델이라 이 작업은 베이스에서만 제공됩니다. {model}(으)로 바꾼 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <source>There are no audio codes to describe. Choose an audio file with sound in it.</source>
        <translation>설명할 오디오 코드가 없습니다. 소리가 들어 있는 오디오 파일을 고르세요.</translation>
    </message>
    <message>
        <source>There is no dataset named &apos;{name}&apos;. Check the name with &apos;mixgrv dataset list&apos;.</source>
        <translation>&apos;{name}&apos; 데이터셋이 없습니다. &apos;mixgrv dataset list&apos;로 이름을 확인하세요.</translation>
    </message>
    <message>
        <source>There is no track &apos;{track}&apos; in dataset &apos;{dataset}&apos;. Use the track&apos;s id, file name or number.</source>
        <translation>&apos;{dataset}&apos; 데이터셋에 &apos;{track}&apos; 트랙이 없습니다. 트랙의 id, 파일 이름 또는 번호를 쓰세요.</translation>
    </message>
    <message>
        <source>There is no training run named &apos;{run}&apos;.</source>
        <translation>&apos;{run}&apos; 학습 실행이 없습니다.</translation>
    </message>
    <message>
        <source>Thinking plans a new song from text; it cannot be combined with the {task} task, a source audio or pasted codes. Turn thinking off or choose text to music.</source>
        <translation>생각하기(think)는 텍스트로 새 곡을 계획합니다. {task} 작업, 원본 오디오, 붙여 넣은 코드와는 함께 쓸 수 없습니다. 생각하기를 끄거나 텍스트로 음악 만들기를 고르세요.</translation>
    </message>
    <message>
        <source>This file has {channels} channels; it was mixed down to stereo for training.</source>
        <translation>이 파일은 {channels}채널이라 학습용으로 스테레오로 다운믹스했습니다.</translation>
    </message>
    <message>
        <source>This machine has {gpus} GPU(s) but {nproc} training processes were started on it. Start one process per GPU.</source>
        <translation>이 컴퓨터에는 GPU가 {gpus}개인데 학습 프로세스가 {nproc}개 시작되었습니다. GPU마다 프로세스를 하나씩 시작하세요.</translation>
    </message>
    <message>
        <source>This run continues with {now} processes instead of {saved} from step {step}: the data order changes, so the losses will differ from an uninterrupted run.</source>
        <translation>이 실행은 {step}단계부터 프로세스 {saved}개 대신 {now}개로 이어집니다. 데이터 순서가 바뀌므로 손실 값은 중단 없이 학습한 경우와 달라집니다.</translation>
    </message>
    <message>
        <source>This run needs about {need_gb} GB but this Mac has {have_gb} GB. Lower the {setting} (or the rank) and try again.</source>
        <translation>이 실행에는 약 {need_gb} GB가 필요하지만 이 Mac에는 {have_gb} GB가 있습니다. {setting}(또는 랭크)을 낮추고 다시 시도하세요.</translation>
    </message>
    <message>
        <source>This sounds like the same recording as {other}. Remove one of them unless you mean to weight it twice.</source>
        <translation>{other}와 같은 녹음으로 보입니다. 두 배로 반영하려는 것이 아니라면 하나를 제거하세요.</translation>
    </message>
    <message>
        <source>Training stopped unexpectedly at step {step}. Your checkpoints are safe: choose the run under Resume to continue.</source>
        <translation>스텝 {step}에서 학습이 예기치 않게 멈췄습니다. 체크포인트는 안전합니다. 이어서 하려면 이어하기에서 실행을 고르세요.</translation>
    </message>
    <message>
        <source>Unknown backend &apos;{value}&apos;; choose torch, mlx or auto.</source>
        <translation>알 수 없는 백엔드 &apos;{value}&apos;입니다. torch, mlx 또는 auto를 고르세요.</translation>
    </message>
    <message>
        <source>Unknown guidance &apos;{value}&apos;; choose apg or adg.</source>
        <translation>알 수 없는 가이던스 &apos;{value}&apos;입니다. apg 또는 adg를 고르세요.</translation>
    </message>
    <message>
        <source>Unknown task &apos;{value}&apos;; choose text2music, cover, repaint, extend, lego, extract or complete.</source>
        <translation>알 수 없는 작업 &apos;{value}&apos;입니다. text2music, cover, repaint, extend, lego, extract, complete 중에서 고르세요.</translation>
    </message>
    <message>
        <source>{component} in the Hugging Face cache ({path}) does not match the publisher&apos;s files; it will be downloaded instead.</source>
        <translation>Hugging Face 캐시의 {component}({path})가 배포된 파일과 일치하지 않아 새로 다운로드합니다.</translation>
    </message>
    <message>
        <source>{component}: using the copy already in the Hugging Face cache ({path}); nothing to download.</source>
        <translation>{component}: Hugging Face 캐시에 이미 있는 사본({path})을 사용합니다. 받을 것이 없습니다.</translation>
    </message>
    <message>
        <source>{component}: {files} did not match the publisher&apos;s checksum and was deleted. Download it again.</source>
        <translation>{component}: {files}이(가) 배포자의 체크섬과 일치하지 않아 삭제했습니다. 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{count} track(s) have no caption; they are trained on the metas only. Add captions for better results.</source>
        <translation>트랙 {count}개에 곡 설명이 없어 메타 정보만으로 학습합니다. 더 좋은 결과를 위해 곡 설명을 추가하세요.</translation>
    </message>
    <message>
        <source>{field} must be between 0 and 1 (got {value}).</source>
        <translation>{field}는 0과 1 사이여야 합니다(입력값 {value}).</translation>
    </message>
    <message>
        <source>{filename} is silent, so there is nothing to describe. Label it by hand or remove it.</source>
        <translation>{filename}은(는) 무음이라 설명할 내용이 없습니다. 직접 라벨을 달거나 데이터셋에서 빼세요.</translation>
    </message>
    <message>
        <source>{file} did not match the publisher&apos;s checksum twice and was deleted. Try again later or from another network.</source>
        <translation>{file}이(가) 두 번 모두 배포자의 체크섬과 일치하지 않아 삭제했습니다. 나중에 다시 시도하거나 다른 네트워크에서 시도하세요.</translation>
    </message>
    <message>
        <source>{file} did not match the publisher&apos;s checksum; downloading it again.</source>
        <translation>{file}이(가) 배포자의 체크섬과 일치하지 않아 다시 다운로드합니다.</translation>
    </message>
    <message>
        <source>{file} is not a dataset bundle mixgrv can read ({reason}). Make it again with &apos;mixgrv dataset pack&apos;.</source>
        <translation>{file}은(는) mixgrv가 읽을 수 있는 데이터셋 번들이 아닙니다({reason}). &apos;mixgrv dataset pack&apos;으로 다시 만드세요.</translation>
    </message>
    <message>
        <source>{file}: &apos;{key}&apos; has shape {found}, expected {expected}. The config.json does not match these weights.</source>
        <translation>{file}: &apos;{key}&apos;의 형태가 {found}인데 {expected}이어야 합니다. config.json이 이 가중치와 맞지 않습니다.</translation>
    </message>
    <message>
        <source>{file}: the connection was lost; resuming where it stopped.</source>
        <translation>{file}: 연결이 끊겼습니다. 멈춘 곳부터 이어서 받습니다.</translation>
    </message>
    <message>
        <source>{file}: the weight &apos;{key}&apos; is missing. These files do not belong to this model; download it again.</source>
        <translation>{file}: 가중치 &apos;{key}&apos;가 없습니다. 이 파일들은 이 모델의 것이 아닙니다. 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{file}: unexpected weight &apos;{key}&apos;. These files are for a different model.</source>
        <translation>{file}: 예상하지 못한 가중치 &apos;{key}&apos;가 있습니다. 다른 모델용 파일입니다.</translation>
    </message>
    <message>
        <source>{format} cannot be written with bit depth {bit_depth}; choose one of {choices}.</source>
        <translation>{format}은(는) 비트 깊이 {bit_depth}로 쓸 수 없습니다. {choices} 중에서 고르세요.</translation>
    </message>
    <message>
        <source>{frames} latent frames exceed the model&apos;s limit of {limit}; choose a shorter duration.</source>
        <translation>잠재 프레임 {frames}개는 모델 한도 {limit}개를 넘습니다. 길이를 줄이세요.</translation>
    </message>
    <message>
        <source>{member} in the bundle {file} is damaged or was changed ({reason}). Copy the bundle again or pack it anew.</source>
        <translation>번들 {file}의 {member}이(가) 손상되었거나 변경되었습니다({reason}). 번들을 다시 복사하거나 새로 묶으세요.</translation>
    </message>
    <message>
        <source>{name} contains NaN or Inf samples. Re-export the file from your audio editor.</source>
        <translation>{name}에 NaN 또는 Inf 샘플이 있습니다. 오디오 편집기에서 다시 내보내세요.</translation>
    </message>
    <message>
        <source>{name} contains no audio samples. Choose a file that plays in a music player.</source>
        <translation>{name}에 오디오 샘플이 없습니다. 음악 플레이어에서 재생되는 파일을 고르세요.</translation>
    </message>
    <message>
        <source>{name} is already in the dataset as {existing}; it was not added twice.</source>
        <translation>{name}은(는) 이미 {existing}(으)로 데이터셋에 있어 두 번 추가하지 않았습니다.</translation>
    </message>
    <message>
        <source>{name} is empty (0 bytes). Re-export or re-download the file and add it again.</source>
        <translation>{name}이(가) 비어 있습니다(0바이트). 다시 내보내거나 다시 다운로드해서 추가하세요.</translation>
    </message>
    <message>
        <source>{name} is not a label CSV with the columns file,bpm,key,caption. Fix the header row and add it again.</source>
        <translation>{name}은(는) file,bpm,key,caption 열이 있는 라벨 CSV가 아닙니다. 머리글 행을 고치고 다시 추가하세요.</translation>
    </message>
    <message>
        <source>{name} is not an audio file this app can read. Convert it to WAV, FLAC or MP3 and add it again.</source>
        <translation>{name}은(는) 이 앱이 읽을 수 있는 오디오 파일이 아닙니다. WAV, FLAC 또는 MP3로 변환해 다시 추가하세요.</translation>
    </message>
    <message>
        <source>{name} is too large to decode in memory. Split it into shorter files.</source>
        <translation>{name}은(는) 메모리에서 디코딩하기에 너무 큽니다. 더 짧은 파일로 나누세요.</translation>
    </message>
    <message>
        <source>{name} looks truncated or damaged ({reason}). Re-export or re-download it.</source>
        <translation>{name}이(가) 잘렸거나 손상된 것 같습니다({reason}). 다시 내보내거나 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{name} was not found. Check that the file still exists and add it again.</source>
        <translation>{name}을(를) 찾을 수 없습니다. 파일이 아직 있는지 확인하고 다시 추가하세요.</translation>
    </message>
    <message>
        <source>{path} already exists. Choose another file name for the bundle.</source>
        <translation>{path}이(가) 이미 있습니다. 번들에 다른 파일 이름을 지정하세요.</translation>
    </message>
    <message>
        <source>{path} cannot be read ({reason}). Download the model folder again.</source>
        <translation>{path}를 읽을 수 없습니다({reason}). 모델 폴더를 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{path} holds no ACE-Step model folders. Choose the checkpoints folder of an ACE-Step download.</source>
        <translation>{path}에 ACE-Step 모델 폴더가 없습니다. ACE-Step 다운로드의 checkpoints 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>{path} is a file, not a model folder. Choose the folder that holds it.</source>
        <translation>{path}는 모델 폴더가 아니라 파일입니다. 그 파일이 들어 있는 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>{path} is damaged or not a model file. Download the model again.</source>
        <translation>{path}가 손상되었거나 모델 파일이 아닙니다. 모델을 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{path} is incomplete (the download stopped early). Download it again.</source>
        <translation>{path}가 불완전합니다(다운로드가 중간에 멈춤). 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{path} is missing. Download the 5 Hz LM folder again.</source>
        <translation>{path} 파일이 없습니다. 5 Hz LM 폴더를 다시 받으세요.</translation>
    </message>
    <message>
        <source>{path} is missing. Download the Qwen3-Embedding-0.6B folder again.</source>
        <translation>{path}가 없습니다. Qwen3-Embedding-0.6B 폴더를 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{path} is missing. Download the model again.</source>
        <translation>{path}가 없습니다. 모델을 다시 다운로드하세요.</translation>
    </message>
    <message>
        <source>{percent}% of the samples are clipped. A cleaner master will train better.</source>
        <translation>샘플의 {percent}%가 클리핑되어 있습니다. 더 깨끗한 마스터가 학습에 좋습니다.</translation>
    </message>
    <message>
        <source>{repo} was not found on the model server {endpoint}. Check the server address (HF_ENDPOINT) or update mixgrv.</source>
        <translation>모델 서버 {endpoint}에서 {repo}을(를) 찾을 수 없습니다. 서버 주소(HF_ENDPOINT)를 확인하거나 mixgrv를 업데이트하세요.</translation>
    </message>
    <message>
        <source>{track} is shorter than one latent frame (40 ms). Remove it from the dataset.</source>
        <translation>{track}은(는) 잠재 프레임 하나(40 ms)보다 짧습니다. 데이터셋에서 제거하세요.</translation>
    </message>
    <message>
        <source>{track}: the {stage} stage produced {count} NaN/Inf values in {tensor}; nothing was written. Run preprocessing in float32 on CPU, or check the model files.</source>
        <translation>{track}: {stage} 단계에서 {tensor}에 NaN/Inf 값이 {count}개 나와 아무것도 쓰지 않았습니다. CPU에서 float32로 전처리하거나 모델 파일을 확인하세요.</translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <source>ACE-Step models</source>
        <translation>ACE-Step 모델</translation>
    </message>
    <message>
        <source>Audio decoder (VAE)</source>
        <translation>오디오 디코더 (VAE)</translation>
    </message>
    <message>
        <source>Check every downloaded file against the publisher&apos;s checksums; a damaged file is downloaded again.</source>
        <translation>받은 파일을 모두 배포처의 체크섬과 비교합니다. 손상된 파일은 다시 받습니다.</translation>
    </message>
    <message>
        <source>Checking the files…</source>
        <translation>파일 검증 중…</translation>
    </message>
    <message>
        <source>Choose the folder with your ACE-Step models</source>
        <translation>ACE-Step 모델이 있는 폴더 선택</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Damaged files were found in {names} and downloaded again; everything matches now.</source>
        <translation>{names}에서 손상된 파일을 찾아 다시 받았습니다. 이제 모든 파일이 일치합니다.</translation>
    </message>
    <message>
        <source>Damaged files were found in {names}. Download them again.</source>
        <translation>{names}에서 손상된 파일을 찾았습니다. 다시 받으세요.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Delete models?</source>
        <translation>모델을 삭제할까요?</translation>
    </message>
    <message>
        <source>Delete {names} from {folder}? You can download them again later.</source>
        <translation>{folder}에서 {names}을(를) 삭제할까요? 나중에 다시 받을 수 있습니다.</translation>
    </message>
    <message>
        <source>Deleted.</source>
        <translation>삭제했습니다.</translation>
    </message>
    <message>
        <source>Deleting…</source>
        <translation>삭제 중…</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>받기</translation>
    </message>
    <message>
        <source>Download ({size})</source>
        <translation>받기 ({size})</translation>
    </message>
    <message>
        <source>Download finished; the models are ready.</source>
        <translation>다운로드가 끝났습니다. 모델을 쓸 수 있습니다.</translation>
    </message>
    <message>
        <source>Essential</source>
        <translation>필수</translation>
    </message>
    <message>
        <source>Every file matches the publisher&apos;s checksums.</source>
        <translation>모든 파일이 배포처의 체크섬과 일치합니다.</translation>
    </message>
    <message>
        <source>Folder: {folder}</source>
        <translation>폴더: {folder}</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>설치됨</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>종류</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>메모리</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Models</source>
        <extracomment>the user asked to use another folder that already holds models (the window stores it)</extracomment>
        <translation>모델</translation>
    </message>
    <message>
        <source>Music model (DiT)</source>
        <translation>음악 모델 (DiT)</translation>
    </message>
    <message>
        <source>Needs a Mac with {gb} GB or more</source>
        <translation>메모리 {gb} GB 이상인 Mac 필요</translation>
    </message>
    <message>
        <source>Not downloaded</source>
        <translation>받지 않음</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>참고</translation>
    </message>
    <message>
        <source>Partial</source>
        <translation>일부만 받음</translation>
    </message>
    <message>
        <source>Partial ({percent}%)</source>
        <translation>일부 ({percent}%)</translation>
    </message>
    <message>
        <source>Preparing the download…</source>
        <translation>다운로드 준비 중…</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>크기</translation>
    </message>
    <message>
        <source>Song planner (5 Hz LM)</source>
        <translation>곡 구성 LM (5 Hz)</translation>
    </message>
    <message>
        <source>State</source>
        <translation>상태</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>중지</translation>
    </message>
    <message>
        <source>Stop the download. What arrived is kept; downloading again continues from there.</source>
        <translation>다운로드를 멈춥니다. 받은 부분은 남아 있고, 다시 받으면 그곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Stopped. Download again to continue where it stopped.</source>
        <translation>멈췄습니다. 다시 받으면 멈춘 곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Suggested for this Mac</source>
        <translation>이 Mac에 추천</translation>
    </message>
    <message>
        <source>Text encoder</source>
        <translation>텍스트 인코더</translation>
    </message>
    <message>
        <source>The job did not finish.</source>
        <translation>작업을 끝내지 못했습니다.</translation>
    </message>
    <message>
        <source>Use Another Folder…</source>
        <translation>다른 폴더 사용…</translation>
    </message>
    <message>
        <source>Used from the Hugging Face cache</source>
        <translation>Hugging Face 캐시에서 사용</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>검증됨</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>검증</translation>
    </message>
    <message>
        <source>this Mac has {gb} GB of memory</source>
        <translation>이 Mac의 메모리 {gb} GB</translation>
    </message>
    <message>
        <source>{folder} holds no ACE-Step model folders (acestep-v15-turbo, vae, Qwen3-Embedding-0.6B). Choose the checkpoints folder of an ACE-Step download, or download the models here.</source>
        <translation>{folder}에는 ACE-Step 모델 폴더(acestep-v15-turbo, vae, Qwen3-Embedding-0.6B)가 없습니다. ACE-Step 다운로드의 checkpoints 폴더를 고르거나, 여기에서 모델을 받으세요.</translation>
    </message>
    <message>
        <source>{size} free</source>
        <translation>여유 공간 {size}</translation>
    </message>
</context>
<context>
    <name>ModelWelcome</name>
    <message>
        <source>Also get the song planner {size} suggested for this Mac (+{gb} GB)</source>
        <translation>이 Mac에 추천하는 곡 구성 LM {size}도 받기 (+{gb} GB)</translation>
    </message>
    <message>
        <source>Choose a Folder You Already Have…</source>
        <translation>이미 받은 폴더 선택…</translation>
    </message>
    <message>
        <source>Continue the Download (about {gb} GB left)</source>
        <translation>다운로드 이어 받기 (약 {gb} GB 남음)</translation>
    </message>
    <message>
        <source>Found in the Hugging Face cache on this Mac, used without a second copy: {names}.</source>
        <translation>이 Mac의 Hugging Face 캐시에서 찾았습니다. 복사하지 않고 그대로 씁니다: {names}.</translation>
    </message>
    <message>
        <source>Get the Essential Models (about {gb} GB)</source>
        <translation>필수 모델 받기 (약 {gb} GB)</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>나중에</translation>
    </message>
    <message>
        <source>Saved in {folder} ({free} free).</source>
        <translation>저장 위치: {folder} (여유 공간 {free})</translation>
    </message>
    <message>
        <source>To make songs and train adapters, mixgrv needs the ACE-Step 1.5 models: the music model, its audio decoder and the text encoder. They are downloaded once from Hugging Face and checked against the publisher&apos;s checksums. You can stop at any time; the download continues where it stopped.</source>
        <translation>곡을 만들고 어댑터를 학습하려면 ACE-Step 1.5 모델(음악 모델, 오디오 디코더, 텍스트 인코더)이 필요합니다. Hugging Face에서 한 번 받고 배포처의 체크섬으로 검증합니다. 언제든 멈출 수 있고, 다시 받으면 멈춘 곳부터 이어집니다.</translation>
    </message>
    <message>
        <source>Use the Models Found on This Mac</source>
        <translation>이 Mac에서 찾은 모델 사용</translation>
    </message>
    <message>
        <source>Welcome to mixgrv</source>
        <translation>mixgrv에 오신 것을 환영합니다</translation>
    </message>
</context>
<context>
    <name>Player</name>
    <message>
        <source>No audio output device was found. Connect headphones or speakers, or choose an output in System Settings &gt; Sound, then press Play again.</source>
        <translation>오디오 출력 장치를 찾을 수 없습니다. 헤드폰이나 스피커를 연결하거나 시스템 설정 &gt; 사운드에서 출력을 선택한 뒤 다시 재생을 누르세요.</translation>
    </message>
    <message>
        <source>Playback could not start on this audio device. Check System Settings &gt; Sound.</source>
        <translation>이 오디오 장치에서 재생을 시작하지 못했습니다. 시스템 설정 &gt; 사운드를 확인하세요.</translation>
    </message>
    <message>
        <source>Playback is not available: the audio library (PortAudio) could not be loaded.</source>
        <translation>재생할 수 없습니다: 오디오 라이브러리(PortAudio)를 불러오지 못했습니다.</translation>
    </message>
    <message>
        <source>This take cannot be played: the file {name} could not be read.</source>
        <translation>이 테이크를 재생할 수 없습니다: {name} 파일을 읽지 못했습니다.</translation>
    </message>
</context>
<context>
    <name>PreprocessPanel</name>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Longer songs are cut to this length. Shorter clips train faster and need less memory.</source>
        <translation>긴 곡은 이 길이로 자릅니다. 짧을수록 학습이 빠르고 메모리를 덜 씁니다.</translation>
    </message>
    <message>
        <source>Prepare for training</source>
        <translation>학습 준비</translation>
    </message>
    <message>
        <source>Turns every song into the tensors training reads (audio latents and text conditions). Songs already prepared are skipped.</source>
        <translation>모든 곡을 학습에 쓰는 텐서(오디오 잠재 표현과 텍스트 조건)로 바꿉니다. 이미 준비된 곡은 건너뜁니다.</translation>
    </message>
    <message>
        <source>Use at most</source>
        <translation>최대 길이</translation>
    </message>
</context>
<context>
    <name>ReferenceDrop</name>
    <message>
        <source>Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)</source>
        <translation>오디오 파일 (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>선택…</translation>
    </message>
    <message>
        <source>Drop a song here to borrow its timbre (optional)</source>
        <translation>음색을 참고할 곡을 여기에 놓으세요 (선택)</translation>
    </message>
    <message>
        <source>Reference audio</source>
        <translation>참고 오디오</translation>
    </message>
    <message>
        <source>Remove the reference audio</source>
        <translation>참고 오디오 제거</translation>
    </message>
</context>
<context>
    <name>RequestForm</name>
    <message>
        <source>Auto</source>
        <translation>자동</translation>
    </message>
    <message>
        <source>BPM</source>
        <translation>BPM</translation>
    </message>
    <message>
        <source>Ballad</source>
        <translation>발라드</translation>
    </message>
    <message>
        <source>Caption / description</source>
        <translation>캡션 / 설명</translation>
    </message>
    <message>
        <source>Cinematic</source>
        <translation>시네마틱</translation>
    </message>
    <message>
        <source>City pop</source>
        <translation>시티팝</translation>
    </message>
    <message>
        <source>Describe the song in the caption first (genre, mood, instruments).</source>
        <translation>먼저 캡션에 곡을 설명해 주세요 (장르, 분위기, 악기).</translation>
    </message>
    <message>
        <source>Genre, mood, instruments, voice… e.g. “warm city-pop with a slap bass groove”</source>
        <translation>장르, 분위기, 악기, 목소리… 예: “슬랩 베이스 그루브가 있는 따뜻한 시티팝”</translation>
    </message>
    <message>
        <source>Guidance</source>
        <translation>가이던스</translation>
    </message>
    <message>
        <source>How many takes to make at once (seeds follow one another).</source>
        <translation>한 번에 만들 테이크 수 (시드가 1씩 이어집니다).</translation>
    </message>
    <message>
        <source>How strictly the model follows the caption. Only base and SFT models use it; turbo ignores it.</source>
        <translation>모델이 캡션을 얼마나 엄격히 따를지 정합니다. Base와 SFT 모델만 사용하며 Turbo는 무시합니다.</translation>
    </message>
    <message>
        <source>Insert {tag} on a new line</source>
        <translation>{tag}를 새 줄에 넣기</translation>
    </message>
    <message>
        <source>Instrumental (no vocals)</source>
        <translation>인스트루멘탈 (보컬 없음)</translation>
    </message>
    <message>
        <source>K-pop</source>
        <translation>K-팝</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>키</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>재생 시간</translation>
    </message>
    <message>
        <source>Let the LM choose</source>
        <translation>LM이 정함</translation>
    </message>
    <message>
        <source>Lo-fi</source>
        <translation>로파이</translation>
    </message>
    <message>
        <source>Lyrics</source>
        <translation>가사</translation>
    </message>
    <message>
        <source>Mark the song&apos;s structure with [verse], [chorus], [bridge], [intro] and [outro]. Leave it empty for an instrumental.</source>
        <translation>[verse], [chorus], [bridge], [intro], [outro] 태그로 곡의 구조를 지정할 수 있습니다. 비워두면 인스트루멘탈로 생성됩니다.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>More steps: slower, sometimes cleaner. Turbo models use at most 8.</source>
        <translation>단계가 많을수록 느리지만 더 깔끔할 수 있습니다. Turbo 모델은 최대 8단계입니다.</translation>
    </message>
    <message>
        <source>Random</source>
        <translation>무작위</translation>
    </message>
    <message>
        <source>Reference audio</source>
        <translation>참고 오디오</translation>
    </message>
    <message>
        <source>Reuse last</source>
        <translation>마지막 시드</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>시드</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>생성 설정</translation>
    </message>
    <message>
        <source>Shift</source>
        <translation>시프트</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>단계 수</translation>
    </message>
    <message>
        <source>Takes</source>
        <translation>배치 크기</translation>
    </message>
    <message>
        <source>The ACE-Step models are not downloaded yet. Get them under Settings &gt; Models…</source>
        <translation>ACE-Step 모델을 아직 받지 않았습니다. 설정 &gt; 모델…에서 받으세요.</translation>
    </message>
    <message>
        <source>The reference audio file is gone. Drop it again or remove it.</source>
        <translation>참고 오디오 파일이 없습니다. 다시 놓거나 제거하세요.</translation>
    </message>
    <message>
        <source>Thinking writes the song&apos;s length into its plan; the take is as long as the plan says.</source>
        <translation>생각하기가 곡 길이를 계획에 적고, 테이크는 그 계획의 길이로 만들어집니다.</translation>
    </message>
    <message>
        <source>Time signature</source>
        <translation>박자</translation>
    </message>
    <message>
        <source>Timestep shift: 3 suits turbo, 1 suits base/SFT.</source>
        <translation>타임스텝 시프트: Turbo는 3, Base/SFT는 1이 알맞습니다.</translation>
    </message>
    <message>
        <source>Try:</source>
        <translation>예시:</translation>
    </message>
    <message>
        <source>Use the seed of the last take again: same seed, same song</source>
        <translation>마지막 테이크의 시드를 다시 사용합니다: 같은 시드, 같은 곡</translation>
    </message>
    <message>
        <source>[verse]
Write your lyrics here…

[chorus]
…</source>
        <translation>[verse]
여기에 가사를 쓰세요…

[chorus]
…</translation>
    </message>
    <message>
        <source>best for LoRA, uses guidance</source>
        <translation>LoRA에 가장 적합, 가이던스 사용</translation>
    </message>
    <message>
        <source>by plan</source>
        <translation>계획대로</translation>
    </message>
    <message>
        <source>fast, 8 steps</source>
        <translation>빠름, 8단계</translation>
    </message>
    <message>
        <source>fine-tuned, uses guidance</source>
        <translation>미세 조정됨, 가이던스 사용</translation>
    </message>
    <message>
        <source>{m} min</source>
        <translation>{m}분</translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation>{m}분 {s}초</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s}초</translation>
    </message>
</context>
<context>
    <name>ResultsView</name>
    <message numerus="yes">
        <source>%n take(s)</source>
        <translation>
            <numerusform>테이크 %n개</numerusform>
        </translation>
    </message>
    <message>
        <source>A/B</source>
        <translation>A/B 비교</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>삭제</translation>
    </message>
    <message>
        <source>Delete this take (you can undo)</source>
        <translation>이 테이크 삭제 (실행 취소 가능)</translation>
    </message>
    <message>
        <source>Export Take</source>
        <translation>테이크 내보내기</translation>
    </message>
    <message>
        <source>Export failed: {reason}</source>
        <translation>내보내기 실패: {reason}</translation>
    </message>
    <message>
        <source>Exported {name}.</source>
        <translation>{name}을(를) 내보냈습니다.</translation>
    </message>
    <message>
        <source>Exporting {name}…</source>
        <translation>{name} 내보내는 중…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>내보내기…</translation>
    </message>
    <message>
        <source>FLAC, lossless (*.flac)</source>
        <translation>FLAC, 무손실 (*.flac)</translation>
    </message>
    <message>
        <source>MP3 (*.mp3)</source>
        <translation>MP3 (*.mp3)</translation>
    </message>
    <message>
        <source>Pause (Space)</source>
        <translation>일시정지 (스페이스)</translation>
    </message>
    <message>
        <source>Play (Space)</source>
        <translation>재생 (스페이스)</translation>
    </message>
    <message>
        <source>Put this take&apos;s settings and seed back into the form</source>
        <translation>이 테이크의 설정과 시드를 양식에 다시 채웁니다</translation>
    </message>
    <message>
        <source>Render this take again with the same seed: without the LoRA and at two strengths</source>
        <translation>같은 시드로 다시 생성합니다: LoRA 없이, 그리고 두 가지 강도로</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>결과</translation>
    </message>
    <message>
        <source>Reuse Settings</source>
        <translation>이 설정 다시 사용</translation>
    </message>
    <message>
        <source>Send to Source</source>
        <translation>소스로 보내기</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Finder</translation>
    </message>
    <message>
        <source>Show in Finder</source>
        <translation>Finder에서 보기</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>정지</translation>
    </message>
    <message>
        <source>Take deleted.</source>
        <translation>테이크를 삭제했습니다.</translation>
    </message>
    <message>
        <source>The deleted take could not be restored.</source>
        <translation>삭제한 테이크를 복원하지 못했습니다.</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>실행 취소</translation>
    </message>
    <message>
        <source>Use this take as the source of a cover, repaint, extend or instrument task</source>
        <translation>이 테이크를 커버·다시 그리기·늘리기·악기 작업의 소스로 씁니다</translation>
    </message>
    <message>
        <source>WAV, 16-bit (*.wav)</source>
        <translation>WAV, 16비트 (*.wav)</translation>
    </message>
    <message>
        <source>WAV, 24-bit (*.wav)</source>
        <translation>WAV, 24비트 (*.wav)</translation>
    </message>
    <message>
        <source>WAV, 32-bit float (*.wav)</source>
        <translation>WAV, 32비트 부동소수점 (*.wav)</translation>
    </message>
    <message>
        <source>Your takes will appear here.
Write a caption and press Generate (⌘↩).</source>
        <translation>생성한 테이크가 여기에 나타납니다.
캡션을 쓰고 생성(⌘↩)을 누르세요.</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>Settings cannot be saved to {path}. Changes will be lost when mixgrv quits; check that the folder is writable.</source>
        <translation>설정을 {path}에 저장할 수 없습니다. mixgrv를 종료하면 변경 사항이 사라지니, 폴더에 쓰기 권한이 있는지 확인하세요.</translation>
    </message>
    <message>
        <source>The setting “{key}” had an invalid value and was reset to its default.</source>
        <translation>설정 “{key}”의 값이 올바르지 않아 기본값으로 되돌렸습니다.</translation>
    </message>
    <message>
        <source>The settings file could not be read, so mixgrv started with default settings. The old file was kept as {backup}.</source>
        <translation>설정 파일을 읽을 수 없어 기본 설정으로 시작했습니다. 기존 파일은 {backup}에 보관했습니다.</translation>
    </message>
</context>
<context>
    <name>SimpleModeBox</name>
    <message>
        <source>A one-line idea, e.g. “rainy-night city pop, female vocals”</source>
        <translation>한 줄 아이디어, 예: “비 오는 밤의 시티팝, 여성 보컬”</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Instrumental</source>
        <translation>연주곡</translation>
    </message>
    <message>
        <source>Put the form back as it was before the LM wrote into it.</source>
        <translation>LM이 쓰기 전의 입력란으로 되돌립니다.</translation>
    </message>
    <message>
        <source>Simple mode</source>
        <translation>간단 모드</translation>
    </message>
    <message>
        <source>The LM writes the caption, lyrics, BPM, key and length from this idea. You review them; nothing is generated until you press Generate.</source>
        <translation>LM이 이 아이디어로 곡 설명, 가사, BPM, 조성, 길이를 씁니다. 검토하세요. 생성을 누르기 전에는 아무것도 만들지 않습니다.</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>되돌리기</translation>
    </message>
    <message>
        <source>Write it</source>
        <translation>써 주기</translation>
    </message>
</context>
<context>
    <name>SourceDrop</name>
    <message>
        <source>Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)</source>
        <translation>오디오 파일 (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)</translation>
    </message>
    <message>
        <source>Source audio</source>
        <translation>소스 오디오</translation>
    </message>
</context>
<context>
    <name>SourcePanel</name>
    <message>
        <source> s</source>
        <translation>초</translation>
    </message>
    <message>
        <source>A new song from the caption and lyrics.</source>
        <translation>캡션과 가사로 새 곡을 만듭니다.</translation>
    </message>
    <message>
        <source>A new version of the source in the caption&apos;s style (or of pasted codes).</source>
        <translation>소스(또는 붙여 넣은 코드)를 캡션의 스타일로 새로 부릅니다.</translation>
    </message>
    <message>
        <source>Add one instrument track to the source (base model).</source>
        <translation>소스에 악기 트랙 하나를 더합니다 (베이스 모델).</translation>
    </message>
    <message>
        <source>Add several instrument tracks to the source (base model).</source>
        <translation>소스에 여러 악기 트랙을 채워 넣습니다 (베이스 모델).</translation>
    </message>
    <message>
        <source>Choose the source audio first: drop a song, choose a file, or send a take here.</source>
        <translation>먼저 소스 오디오를 넣으세요. 곡을 끌어다 놓거나, 파일을 고르거나, 테이크를 소스로 보내면 됩니다.</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>선택…</translation>
    </message>
    <message>
        <source>Continue the source before its start or after its end.</source>
        <translation>소스의 앞이나 뒤로 곡을 이어 붙입니다.</translation>
    </message>
    <message>
        <source>Cover strength</source>
        <translation>커버 강도</translation>
    </message>
    <message>
        <source>Drop the source song here, choose a file, or use Send to Source on a take</source>
        <translation>소스 곡을 여기에 끌어다 놓거나, 파일을 고르거나, 테이크에서 ‘소스로 보내기’를 누르세요</translation>
    </message>
    <message>
        <source>Extend</source>
        <translation>늘리기</translation>
    </message>
    <message>
        <source>How many of the steps follow the source: lower lets the model drift further from it.</source>
        <translation>소스를 따르는 단계의 비율입니다. 낮출수록 소스에서 더 멀어집니다.</translation>
    </message>
    <message>
        <source>Isolate one instrument track of the source (base model).</source>
        <translation>소스에서 악기 트랙 하나만 뽑아냅니다 (베이스 모델).</translation>
    </message>
    <message>
        <source>Melody kept</source>
        <translation>멜로디 유지</translation>
    </message>
    <message>
        <source>No base model is installed: download it under Settings &gt; Models….</source>
        <translation>베이스 모델이 설치되어 있지 않습니다. 설정 &gt; 모델…에서 받으세요.</translation>
    </message>
    <message>
        <source>Paste 5 Hz codes (&lt;|audio_code_N|&gt;…) from a Think take instead of a source</source>
        <translation>소스 대신 Think 테이크의 5 Hz 코드(&lt;|audio_code_N|&gt;…)를 붙여 넣으세요</translation>
    </message>
    <message>
        <source>Paste codes</source>
        <translation>코드 붙여넣기</translation>
    </message>
    <message>
        <source>Reading the source…</source>
        <translation>소스를 읽는 중…</translation>
    </message>
    <message>
        <source>Redo the selected region of the source; the rest stays.</source>
        <translation>소스에서 고른 구간만 다시 그립니다. 나머지는 그대로 둡니다.</translation>
    </message>
    <message>
        <source>Region (s)</source>
        <translation>구간 (초)</translation>
    </message>
    <message>
        <source>Remove the source audio</source>
        <translation>소스 오디오 빼기</translation>
    </message>
    <message>
        <source>Start from the source instead of pure noise: higher keeps more of its melody.</source>
        <translation>순수한 노이즈 대신 소스에서 시작합니다. 높일수록 멜로디가 더 남습니다.</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>작업</translation>
    </message>
    <message>
        <source>The source file is gone. Drop it again or choose another one.</source>
        <translation>소스 파일이 없습니다. 다시 끌어다 놓거나 다른 파일을 고르세요.</translation>
    </message>
    <message>
        <source>Tick at least one track to add.</source>
        <translation>더할 트랙을 하나 이상 고르세요.</translation>
    </message>
    <message>
        <source>Track</source>
        <translation>트랙</translation>
    </message>
    <message>
        <source>Tracks to add</source>
        <translation>더할 트랙</translation>
    </message>
    <message>
        <source>Use the base model</source>
        <translation>베이스 모델로 바꾸기</translation>
    </message>
    <message>
        <source>after the end (N s)</source>
        <translation>뒤로 N초 (끝 다음)</translation>
    </message>
    <message>
        <source>before the start (N s)</source>
        <translation>앞으로 N초 (시작 전)</translation>
    </message>
    <message>
        <source>{task} (base model)</source>
        <translation>{task} (베이스 모델)</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <source>Some folders could not be written, so mixgrv is using temporary ones for now. Files saved there may disappear after a restart; check the folder permissions.</source>
        <translation>일부 폴더에 쓸 수 없어 당분간 임시 폴더를 사용합니다. 여기에 저장한 파일은 재시동 후 사라질 수 있으니 폴더 권한을 확인하세요.</translation>
    </message>
</context>
<context>
    <name>TakeCard</name>
    <message>
        <source>Copy the BPM, key, time signature, language, length and caption the LM chose into the form</source>
        <translation>LM이 고른 BPM, 조성, 박자, 언어, 길이, 곡 설명을 입력란에 복사합니다</translation>
    </message>
    <message>
        <source>LoRA off</source>
        <translation>LoRA 끔</translation>
    </message>
    <message>
        <source>Untitled take</source>
        <translation>제목 없는 테이크</translation>
    </message>
    <message>
        <source>Use these values</source>
        <translation>이 값 사용</translation>
    </message>
    <message>
        <source>from codes</source>
        <translation>코드에서</translation>
    </message>
    <message>
        <source>instrumental</source>
        <translation>인스트루멘탈</translation>
    </message>
    <message>
        <source>no LoRA</source>
        <translation>LoRA 없음</translation>
    </message>
    <message>
        <source>seed {seed}</source>
        <translation>시드 {seed}</translation>
    </message>
    <message>
        <source>strength {n}%</source>
        <translation>강도 {n}%</translation>
    </message>
</context>
<context>
    <name>Tasks</name>
    <message>
        <source>Add instrument</source>
        <translation>악기 추가</translation>
    </message>
    <message>
        <source>Complete</source>
        <translation>채우기</translation>
    </message>
    <message>
        <source>Cover</source>
        <translation>커버</translation>
    </message>
    <message>
        <source>Extend</source>
        <translation>늘리기</translation>
    </message>
    <message>
        <source>Extract instrument</source>
        <translation>악기 추출</translation>
    </message>
    <message>
        <source>Repaint</source>
        <translation>다시 그리기</translation>
    </message>
    <message>
        <source>Text to music</source>
        <translation>텍스트→음악</translation>
    </message>
</context>
<context>
    <name>TrackEditor</name>
    <message>
        <source>%1 (auto)</source>
        <translation>%1 (자동)</translation>
    </message>
    <message>
        <source>A trigger word for your style, e.g. “mystyle”</source>
        <translation>내 스타일을 부르는 트리거 단어, 예: “mystyle”</translation>
    </message>
    <message>
        <source>Added to every caption. Use the same word when you generate to call up your style.</source>
        <translation>모든 곡 설명에 붙습니다. 생성할 때 같은 단어를 쓰면 내 스타일을 불러옵니다.</translation>
    </message>
    <message>
        <source>After the caption</source>
        <translation>곡 설명 뒤에</translation>
    </message>
    <message>
        <source>Always the caption</source>
        <translation>항상 곡 설명</translation>
    </message>
    <message>
        <source>Always the genre</source>
        <translation>항상 장르</translation>
    </message>
    <message>
        <source>BPM</source>
        <translation>BPM</translation>
    </message>
    <message>
        <source>Before the caption</source>
        <translation>곡 설명 앞에</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>곡 설명</translation>
    </message>
    <message>
        <source>Custom tag</source>
        <translation>사용자 태그</translation>
    </message>
    <message>
        <source>Dataset setting</source>
        <translation>데이터셋 설정</translation>
    </message>
    <message>
        <source>Extra tag for this song only</source>
        <translation>이 곡에만 붙는 추가 태그</translation>
    </message>
    <message>
        <source>Filled by auto-label. Check it; once you edit it, it is yours.</source>
        <translation>자동 라벨이 채운 값입니다. 확인하세요. 고치면 직접 입력한 값이 됩니다.</translation>
    </message>
    <message>
        <source>Genre</source>
        <translation>장르</translation>
    </message>
    <message>
        <source>Genre instead of caption</source>
        <translation>곡 설명 대신 장르</translation>
    </message>
    <message>
        <source>Instead of the caption</source>
        <translation>곡 설명 대신</translation>
    </message>
    <message>
        <source>Instrumental (no vocals)</source>
        <translation>연주곡 (보컬 없음)</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>조성</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Lyrics</source>
        <translation>가사</translation>
    </message>
    <message>
        <source>Mark every song instrumental</source>
        <translation>모든 곡을 연주곡으로 표시</translation>
    </message>
    <message>
        <source>No song selected</source>
        <translation>선택한 곡 없음</translation>
    </message>
    <message>
        <source>Select a song in the list to edit its labels.</source>
        <translation>목록에서 곡을 선택하면 라벨을 편집할 수 있습니다.</translation>
    </message>
    <message>
        <source>Share of songs trained with their genre instead of their caption.</source>
        <translation>곡 설명 대신 장르로 학습할 곡의 비율입니다.</translation>
    </message>
    <message>
        <source>The model learns to link this description to the song. English tags work best.</source>
        <translation>모델이 이 설명과 곡을 연결해 배웁니다. 영어 태그가 가장 잘 통합니다.</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>박자</translation>
    </message>
    <message>
        <source>Track tag</source>
        <translation>트랙 태그</translation>
    </message>
    <message>
        <source>Train on</source>
        <translation>학습 텍스트</translation>
    </message>
    <message>
        <source>What the song sounds like, e.g. “warm lo-fi beat, soft piano, vinyl crackle”</source>
        <translation>곡이 어떻게 들리는지, 예: “따뜻한 로파이 비트, 부드러운 피아노, LP 잡음”</translation>
    </message>
    <message>
        <source>Which text this song is trained with, overriding the dataset&apos;s genre ratio.</source>
        <translation>이 곡을 어떤 텍스트로 학습할지 정합니다. 데이터셋의 장르 비율보다 우선합니다.</translation>
    </message>
    <message>
        <source>Whole dataset</source>
        <translation>데이터셋 전체</translation>
    </message>
    <message>
        <source>[verse]
Lyrics with structure tags…</source>
        <translation>[verse]
구조 태그가 있는 가사…</translation>
    </message>
    <message>
        <source>e.g. city pop</source>
        <translation>예: 시티팝</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>설정 안 됨</translation>
    </message>
    <message>
        <source>⚠︎ This song has no caption yet. Describe it so the model learns your style.</source>
        <translation>⚠︎ 이 곡에는 아직 곡 설명이 없습니다. 모델이 내 스타일을 배울 수 있게 설명을 써 주세요.</translation>
    </message>
    <message>
        <source>✓ Labelled. Changes are saved automatically.</source>
        <translation>✓ 라벨 완료. 변경 사항은 자동으로 저장됩니다.</translation>
    </message>
</context>
<context>
    <name>TrackTableModel</name>
    <message>
        <source>Checks</source>
        <translation>점검</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>포맷</translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation>라벨 완료</translation>
    </message>
    <message>
        <source>Labelled (auto)</source>
        <translation>라벨 완료 (자동)</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>라벨</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>길이</translation>
    </message>
    <message>
        <source>Loudness / peak</source>
        <translation>음량 / 피크</translation>
    </message>
    <message>
        <source>Needs caption</source>
        <translation>곡 설명 필요</translation>
    </message>
    <message>
        <source>Sample rate</source>
        <translation>샘플레이트</translation>
    </message>
    <message>
        <source>Song</source>
        <translation>곡</translation>
    </message>
    <message>
        <source>Write a caption (or a genre) for this song so the model knows what it hears.</source>
        <translation>모델이 무엇을 듣는지 알 수 있게 이 곡의 설명(또는 장르)을 써 주세요.</translation>
    </message>
</context>
<context>
    <name>Tracks</name>
    <message>
        <source>Backing vocals</source>
        <translation>백킹 보컬</translation>
    </message>
    <message>
        <source>Bass</source>
        <translation>베이스</translation>
    </message>
    <message>
        <source>Brass</source>
        <translation>금관</translation>
    </message>
    <message>
        <source>Drums</source>
        <translation>드럼</translation>
    </message>
    <message>
        <source>Effects</source>
        <translation>효과음</translation>
    </message>
    <message>
        <source>Guitar</source>
        <translation>기타</translation>
    </message>
    <message>
        <source>Keyboard</source>
        <translation>건반</translation>
    </message>
    <message>
        <source>Percussion</source>
        <translation>타악기</translation>
    </message>
    <message>
        <source>Strings</source>
        <translation>현악</translation>
    </message>
    <message>
        <source>Synth</source>
        <translation>신시사이저</translation>
    </message>
    <message>
        <source>Vocals</source>
        <translation>보컬</translation>
    </message>
    <message>
        <source>Woodwinds</source>
        <translation>목관</translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message>
        <source>A few songs (1–5)</source>
        <translation>곡 몇 개 (1–5)</translation>
    </message>
    <message>
        <source>Accumulation</source>
        <translation>누적</translation>
    </message>
    <message>
        <source>Adds up several steps before updating: a larger effective batch without more memory.</source>
        <translation>여러 스텝을 모았다가 한 번에 업데이트합니다. 메모리를 더 쓰지 않고 배치를 키우는 효과가 있습니다.</translation>
    </message>
    <message>
        <source>Advanced settings</source>
        <translation>고급 설정</translation>
    </message>
    <message>
        <source>Alpha</source>
        <translation>알파</translation>
    </message>
    <message>
        <source>Attention layers</source>
        <translation>어텐션 레이어</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>배치 크기</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>체크포인트</translation>
    </message>
    <message>
        <source>Dropout</source>
        <translation>드롭아웃</translation>
    </message>
    <message>
        <source>Elapsed</source>
        <translation>경과 시간</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>에포크</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>에포크 수</translation>
    </message>
    <message>
        <source>Good starting settings for the number of songs you have. You can fine-tune them under Advanced.</source>
        <translation>곡 수에 맞춘 무난한 시작 설정입니다. 고급 설정에서 세부 조정할 수 있습니다.</translation>
    </message>
    <message>
        <source>Gradient clip</source>
        <translation>그래디언트 클리핑</translation>
    </message>
    <message>
        <source>How big each learning step is. Too high makes the loss jump around; too low learns slowly.</source>
        <translation>한 번에 얼마나 크게 배울지 정합니다. 너무 높으면 손실이 튀고, 너무 낮으면 느리게 배웁니다.</translation>
    </message>
    <message>
        <source>How many times training goes through all your songs. More epochs learn more but can copy the songs too closely.</source>
        <translation>학습이 모든 곡을 몇 번 도는지 정합니다. 많을수록 더 배우지만 곡을 너무 그대로 따라 할 수 있습니다.</translation>
    </message>
    <message>
        <source>How often a checkpoint (and an optional sample) is saved. Stop also saves one.</source>
        <translation>체크포인트(와 선택적으로 샘플)를 얼마나 자주 저장할지 정합니다. 중지해도 하나를 저장합니다.</translation>
    </message>
    <message>
        <source>Keeps adapter weights small, which helps against overfitting.</source>
        <translation>어댑터 가중치를 작게 유지해 과적합을 줄입니다.</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>학습률</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>남은 시간</translation>
    </message>
    <message>
        <source>Limits how far one step may move the adapter; protects against sudden spikes.</source>
        <translation>한 스텝에 어댑터가 움직일 수 있는 폭을 제한해 갑작스러운 튐을 막습니다.</translation>
    </message>
    <message>
        <source>Listen to sample</source>
        <translation>샘플 듣기</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>손실</translation>
    </message>
    <message>
        <source>Makes a run repeatable: the same seed and data give the same result.</source>
        <translation>실행을 재현할 수 있게 합니다. 같은 시드와 데이터는 같은 결과를 냅니다.</translation>
    </message>
    <message>
        <source>Many songs (20+)</source>
        <translation>곡 많음 (20+)</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>메모리</translation>
    </message>
    <message>
        <source>Noise levels</source>
        <translation>노이즈 수준</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>프리셋</translation>
    </message>
    <message>
        <source>Randomly switches off parts of the adapter while learning, so it generalises instead of memorising.</source>
        <translation>학습 중에 어댑터 일부를 무작위로 꺼서, 외우지 않고 일반화하게 합니다.</translation>
    </message>
    <message>
        <source>Rank</source>
        <translation>랭크</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>이어하기</translation>
    </message>
    <message>
        <source>Run name</source>
        <translation>실행 이름</translation>
    </message>
    <message>
        <source>Runs that can continue where they stopped</source>
        <translation>멈춘 곳에서 이어서 할 수 있는 실행</translation>
    </message>
    <message>
        <source>Save every (epochs)</source>
        <translation>저장 간격 (에포크)</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>시드</translation>
    </message>
    <message>
        <source>Size of the adapter. Higher ranks learn more detail but need more memory and can overfit small datasets.</source>
        <translation>어댑터의 크기입니다. 랭크가 높을수록 세밀하게 배우지만 메모리를 더 쓰고 작은 데이터셋에 과적합될 수 있습니다.</translation>
    </message>
    <message>
        <source>Some songs (6–20)</source>
        <translation>곡 보통 (6–20)</translation>
    </message>
    <message>
        <source>Songs per step. Larger batches need more memory.</source>
        <translation>스텝당 곡 수입니다. 배치가 클수록 메모리를 더 씁니다.</translation>
    </message>
    <message>
        <source>Songs/s</source>
        <translation>곡/초</translation>
    </message>
    <message>
        <source>Start training</source>
        <translation>학습 시작</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>스텝</translation>
    </message>
    <message>
        <source>Steps at the start during which the learning rate rises gently.</source>
        <translation>처음에 학습률을 천천히 올리는 스텝 수입니다.</translation>
    </message>
    <message>
        <source>Stop and save</source>
        <translation>중지하고 저장</translation>
    </message>
    <message>
        <source>Stops after the current step and saves a checkpoint you can resume from.</source>
        <translation>현재 스텝이 끝나면 멈추고, 이어서 할 수 있는 체크포인트를 저장합니다.</translation>
    </message>
    <message>
        <source>Strength of the adapter relative to its rank. Usually twice the rank.</source>
        <translation>랭크에 대한 어댑터의 세기입니다. 보통 랭크의 두 배로 둡니다.</translation>
    </message>
    <message>
        <source>Use in Generation</source>
        <translation>생성에서 사용</translation>
    </message>
    <message>
        <source>Warm-up steps</source>
        <translation>워밍업 스텝</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>가중치 감쇠</translation>
    </message>
    <message>
        <source>Which layers the adapter changes: both (style and words), self (sound) or cross (text link).</source>
        <translation>어댑터가 바꿀 레이어: both(스타일과 가사), self(소리), cross(텍스트 연결).</translation>
    </message>
    <message>
        <source>e.g. my-style-v1</source>
        <translation>예: my-style-v1</translation>
    </message>
    <message>
        <source>logit-normal learns at all noise levels (recommended); turbo8 uses the 8 levels of the turbo model.</source>
        <translation>logit-normal은 모든 노이즈 수준에서 배웁니다(권장). turbo8은 turbo 모델의 8단계를 씁니다.</translation>
    </message>
</context>
<context>
    <name>TrainingTab</name>
    <message>
        <source>1  Labels</source>
        <translation>1  라벨</translation>
    </message>
    <message>
        <source>2  Prepare</source>
        <translation>2  준비</translation>
    </message>
    <message>
        <source>3  Train</source>
        <translation>3  학습</translation>
    </message>
    <message>
        <source>Add songs to the dataset first.</source>
        <translation>먼저 데이터셋에 곡을 추가하세요.</translation>
    </message>
    <message>
        <source>Base: the undistilled model; its LoRAs carry over best to turbo and SFT, and it runs the instrument tasks.</source>
        <translation>베이스: 증류하지 않은 원본 모델입니다. 여기서 만든 LoRA가 터보와 SFT에도 가장 잘 옮겨 가고, 악기 작업도 이 모델로 합니다.</translation>
    </message>
    <message>
        <source>Cancelled. Finished songs are kept; start again to continue.</source>
        <translation>취소했습니다. 끝난 곡은 유지되니, 다시 시작하면 이어서 진행합니다.</translation>
    </message>
    <message>
        <source>Choose or create a dataset first.</source>
        <translation>먼저 데이터셋을 고르거나 만드세요.</translation>
    </message>
    <message>
        <source>Done: %1 prepared, %2 already up to date, %3 failed.</source>
        <translation>완료: %1곡 준비, %2곡 이미 최신, %3곡 실패.</translation>
    </message>
    <message>
        <source>Listen</source>
        <translation>듣기</translation>
    </message>
    <message>
        <source>Loading models…</source>
        <translation>모델 불러오는 중…</translation>
    </message>
    <message>
        <source>Models: %1</source>
        <translation>모델: %1</translation>
    </message>
    <message>
        <source>No ACE-Step models found in %1. Download them or choose your folder under Settings &gt; Models…</source>
        <translation>%1에서 ACE-Step 모델을 찾지 못했습니다. 설정 &gt; 모델…에서 받거나 가진 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>Resuming “%1”…</source>
        <translation>“%1” 이어서 학습 중…</translation>
    </message>
    <message>
        <source>SFT: the fine-tuned model that follows detailed captions with guidance; train here to use the LoRA with it.</source>
        <translation>SFT: 가이던스로 자세한 캡션을 잘 따르도록 미세 조정한 모델입니다. SFT로 쓸 LoRA라면 여기서 학습하세요.</translation>
    </message>
    <message>
        <source>Songs prepared for another model are prepared again for this one (their VAE latents are kept).</source>
        <translation>다른 모델용으로 준비한 곡은 이 모델용으로 다시 준비합니다 (VAE 잠재값은 그대로 씁니다).</translation>
    </message>
    <message>
        <source>Stopped. A checkpoint was saved; you can resume this run later.</source>
        <translation>중지했습니다. 체크포인트를 저장했으니 나중에 이 실행을 이어서 할 수 있습니다.</translation>
    </message>
    <message>
        <source>Stopping after this step and saving a checkpoint…</source>
        <translation>이번 스텝 후 멈추고 체크포인트를 저장하는 중…</translation>
    </message>
    <message>
        <source>The run “%1” stopped unexpectedly. Choose it under Resume to continue from its last checkpoint.</source>
        <translation>“%1” 실행이 예기치 않게 멈췄습니다. 마지막 체크포인트부터 이어 하려면 이어하기에서 실행을 고르세요.</translation>
    </message>
    <message>
        <source>The songs were prepared for {prepared}; prepare them again for {chosen} (step 2) and then train.</source>
        <translation>곡이 {prepared} 모델용으로 준비되어 있습니다. {chosen} 모델용으로 다시 준비(2단계)한 뒤 학습하세요.</translation>
    </message>
    <message>
        <source>Train on</source>
        <translation>학습할 모델</translation>
    </message>
    <message>
        <source>Training finished. Your adapter is ready in the Generation tab.</source>
        <translation>학습이 끝났습니다. 어댑터를 생성 탭에서 쓸 수 있습니다.</translation>
    </message>
    <message>
        <source>Training stopped unexpectedly: %1</source>
        <translation>학습이 예기치 않게 멈췄습니다: %1</translation>
    </message>
    <message>
        <source>Training… you can keep using mixgrv meanwhile.</source>
        <translation>학습 중… 그동안 mixgrv를 계속 쓸 수 있습니다.</translation>
    </message>
    <message>
        <source>Turbo: the fast 8-step model most people generate with; train here to use the LoRA with it.</source>
        <translation>터보: 대부분이 생성에 쓰는 빠른 8단계 모델입니다. 터보로 쓸 LoRA라면 여기서 학습하세요.</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>약 %1 남음</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>실패</translation>
    </message>
    <message>
        <source>preparing…</source>
        <translation>준비 중…</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>준비됨</translation>
    </message>
    <message>
        <source>to prepare</source>
        <translation>준비 필요</translation>
    </message>
    <message>
        <source>{name} (default)</source>
        <translation>{name} (기본)</translation>
    </message>
</context>
<context>
    <name>TransferView</name>
    <message>
        <source>Checking the files…</source>
        <translation>파일 검증 중…</translation>
    </message>
    <message>
        <source>Downloading…</source>
        <translation>받는 중…</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} 남음</translation>
    </message>
</context>
</TS>
